"""The one masking function: a value with most of it hidden, by kind of value.

Used wherever a value is shown to someone who may not read it in full (auditors before a
reveal, colleagues, log lines) and for what the verification history keeps at rest.  The kind
of an invoice field is declared with the field (``FieldSpec.mask`` in
:mod:`yanpiao.fapiao.invoice`); accounts use ``email``, ``phone`` and ``name``.

>>> mask("zhang.san@example.com", "email"), mask("13800138000", "phone")
('z***@example.com', '138****8000')
>>> mask("91110108MA01ABCD2H", "tax_id"), mask("张三", "name")
('9111**********CD2H', '张*')
>>> mask("北京市海淀区中关村大街1号", "address"), mask("0200000000000001234", "account")
('北京市海淀区***', '***************1234')
>>> mask("227858", "secret"), mask("48987406241857227858", "secret")
('****58', '******************58')
"""

from __future__ import annotations

from yanpiao.fapiao.invoice import mask_of

KINDS = ("email", "phone", "tax_id", "name", "address", "account", "secret")


def mask_invoice_field(path: str, value):
    """A value of the invoice field at ``path`` (``check_code``, ``buyer.name``), masked when the
    field is declared personal data or a secret, else as it is.

    >>> mask_invoice_field("buyer.name", "张三"), mask_invoice_field("total", "10.00")
    ('张*', '10.00')
    """
    kind = mask_of(path)
    return mask(str(value), kind) if kind and value is not None else value


def mask_invoice_json(invoice: dict) -> dict:
    """An invoice JSON with every field declared personal data or a secret masked."""
    shown = {name: mask_invoice_field(name, value) for name, value in invoice.items()}
    for side in ("seller", "buyer"):
        if isinstance(invoice.get(side), dict):
            shown[side] = {name: mask_invoice_field(f"{side}.{name}", v) for name, v in invoice[side].items()}
    return shown


def mask(value: str | None, kind: str) -> str:
    """``value`` masked as its ``kind`` is; "" for an empty value."""
    value = (value or "").strip()
    if kind not in KINDS:
        raise ValueError(f"unknown kind of value to mask: {kind!r}")
    if not value:
        return ""
    if kind == "email":
        local, at, domain = value.partition("@")
        return f"{local[:1]}***{at}{domain}"
    if kind == "phone":
        return _keep_ends(value, 3, 4) if len(value) >= 11 else _keep_ends(value, 0, 2)
    if kind == "tax_id":
        return _keep_ends(value, 4, 4) if len(value) > 8 else _keep_ends(value, 2, 0)
    if kind == "name":
        return value[:1] + "*" * (len(value) - 1)
    if kind == "address":
        return value[:6] + "***"
    if kind == "account":
        return _keep_ends(value, 0, 4) if len(value) > 4 else "*" * len(value)
    # a secret (the 校验码 proves possession of the invoice): at most its last two characters
    return _keep_ends(value, 0, 2) if len(value) > 2 else "*" * len(value)


def _keep_ends(value: str, head: int, tail: int) -> str:
    hidden = max(len(value) - head - tail, 1)
    return value[:head] + "*" * hidden + (value[-tail:] if tail else "")
