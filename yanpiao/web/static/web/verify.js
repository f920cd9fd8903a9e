// The verify form and result card.  Progressive enhancement: the form works without this file.
//
// 1. Only the secret field the invoice's type needs is shown: 专票 (01, 20) 金额, 普票 校验码,
//    数电票 (31, 32) 价税合计.  The type is the one chosen, or inferred from the code and number
//    as the server does (yanpiao.fapiao.code.infer_type, yanpiao.web.forms.secret_field); while
//    nothing tells the type, all three stay.
// 2. "复制查验链接" copies the result's verify link.
(function () {
  "use strict";

  var SECRETS = ["amount", "check_code", "total"];
  // 发票代码: position 8 of a 10-digit code, positions 11-12 of a 12-digit code starting with 0.
  var KIND_10 = { "1": "01", "5": "01", "3": "04", "6": "04" };
  var KIND_12 = { "11": "10", "12": "14", "13": "20", "04": "04", "05": "04", "06": "11", "07": "11" };

  function compact(text) {
    return (text || "").normalize("NFKC").replace(/\s+/g, "");
  }

  function keyField(type) {
    if (type === "31" || type === "32") return "total";
    if (type === "01" || type === "20") return "amount";
    return "check_code";
  }

  function inferType(code, number) {
    if (!code || number.length === 20) return "";
    if (/^\d{10}$/.test(code)) return KIND_10[code.charAt(7)] || "";
    if (/^1\d{11}$/.test(code)) return "10"; // blockchain invoice
    if (/^0\d{11}$/.test(code)) return KIND_12[code.slice(10)] || "";
    return "";
  }

  function secretField(type, code, number) {
    var inferred = type || inferType(code, number);
    if (inferred) return keyField(inferred);
    return /^\d{20}$/.test(number) ? "total" : "";
  }

  function value(form, name) {
    var input = form.elements[name];
    return input ? compact(input.value) : "";
  }

  function update(form) {
    var needed = secretField(value(form, "type"), value(form, "code"), value(form, "number"));
    // A field the server left out (the type was known when the page was made) cannot be shown:
    // then whatever is there stays visible.
    var present = needed && form.querySelector('[data-field-name="' + needed + '"]');
    SECRETS.forEach(function (name) {
      var row = form.querySelector('[data-field-name="' + name + '"]');
      if (row) row.hidden = Boolean(present) && name !== needed;
    });
  }

  document.querySelectorAll("form[data-verify-form]").forEach(function (form) {
    form.addEventListener("input", function () { update(form); });
    form.addEventListener("change", function () { update(form); });
    update(form);
  });

  document.querySelectorAll("[data-action=copy-link]").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var link = new URL(button.dataset.link, window.location.href).href;
      navigator.clipboard.writeText(link).then(function () {
        button.textContent = button.dataset.copied;
      });
    });
  });
})();
