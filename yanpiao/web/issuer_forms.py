"""Forms of the issuer's pages: an invoice to register (its head, and its lines as a formset), and
voiding one.

The forms hold what the issuer types; :func:`invoice_of` builds the invoice from it, with the
sums and the 价税合计 computed as the registry checks them (:mod:`yanpiao.fapiao.arithmetic`): no
total is ever taken from the client.  The registry decides whether the invoice is valid, and
:func:`show_refusal` puts its findings, in words (:func:`yanpiao.web.labels.finding`), beside the
fields they name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms import BaseFormSet, formset_factory
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from yanpiao.fapiao import amount_words, arithmetic, types
from yanpiao.fapiao.invoice import SPECIAL_RATES, Invoice, InvoiceKey, Item, Party, normalize_text
from yanpiao.fapiao.validation import RED_LETTER_REMARK
from yanpiao.registry.models import StatusChange
from yanpiao.registry.services import RegistryError, today
from yanpiao.web import labels

field_label = lazy(labels.field, str)  # a field's label, in the language of the page shown

RATES = ("0.13", "0.09", "0.06", "0.03", "0.01", "0", *SPECIAL_RATES)  # the usual VAT rates
ITEMS_PREFIX = "items"
MAX_ITEMS = 100
REASON_LENGTH = StatusChange._meta.get_field("reason").max_length
# Fields of the registry's findings that the form names otherwise.
FORM_FIELDS = {"buyer.name": "buyer_name", "buyer.tax_id": "buyer_tax_id"}
ITEM_PATH = re.compile(r"items\[(\d+)\]\.(\w+)")
# The registry's refusals that are no finding (a red-letter invoice against its original), by field.
REFUSALS = {
    "red_letter_of": _("原发票已作废，不能红冲。"),
    "total": _("红冲的金额超过了原发票尚未冲销的金额。"),
}
REFUSED = _("发票未能登记，请核对后再试。")


def _type_choices() -> list[tuple[str, str]]:
    return [(code, labels.invoice_type(code)) for code in types.NAMES]


def _rate_choices() -> list[tuple[str, str]]:
    return [(rate, labels.tax_rate(rate)) for rate in RATES]


class InvoiceForm(forms.Form):
    """The head of an invoice; the seller is the issuer's organisation, the totals come from the lines."""

    type = forms.ChoiceField(label=field_label("type"), choices=_type_choices, initial=types.DIGITAL_ORDINARY)
    code = forms.CharField(
        label=field_label("code"), required=False, max_length=40, help_text=_("数电票没有发票代码，不填。")
    )
    number = forms.CharField(label=field_label("number"), max_length=40)
    check_code = forms.CharField(
        label=_("校验码（20位）"),
        required=False,
        max_length=40,
        help_text=_("只有印有校验码的票种（如增值税普通发票）填写。"),
    )
    issue_date = forms.DateField(
        label=field_label("issue_date"),
        initial=today,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    buyer_name = forms.CharField(label=field_label("buyer.name"), max_length=200)
    buyer_tax_id = forms.CharField(
        label=field_label("buyer.tax_id"),
        required=False,
        max_length=40,
        help_text=_("购买方为个人时可不填。"),
    )
    remarks = forms.CharField(
        label=field_label("remarks"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ItemForm(forms.Form):
    """One line of the invoice; a tax left empty is the line's rate applied to its amount."""

    name = forms.CharField(label=field_label("item.name"), max_length=200)
    amount = forms.DecimalField(label=field_label("item.amount"), max_digits=16, decimal_places=2)
    tax_rate = forms.ChoiceField(label=field_label("item.tax_rate"), choices=_rate_choices, initial=RATES[0])
    tax = forms.DecimalField(
        label=field_label("item.tax"),
        max_digits=16,
        decimal_places=2,
        required=False,
        help_text=_("留空则按税率计算。"),
    )


class BaseItemFormSet(BaseFormSet):
    """The lines of the invoice.  Unbound, it shows ``shown``: one row per dict of values (the
    lines of a red-letter invoice's original, or the rows typed so far and one more)."""

    @classmethod
    def get_default_prefix(cls) -> str:
        return ITEMS_PREFIX

    def __init__(self, data=None, *, shown: Sequence[dict] = (), **kwargs):
        super().__init__(data, **kwargs)
        self.shown = list(shown)
        if self.shown:
            self.extra = max(len(self.shown) - self.min_num, 0)

    def get_form_kwargs(self, index: int) -> dict:
        kwargs = super().get_form_kwargs(index)
        if index is not None and index < len(self.shown):
            kwargs["initial"] = self.shown[index]
        return kwargs

    def row(self, index: int) -> ItemForm:
        """An empty row numbered ``index``, to add to the rows shown."""
        form = self.empty_form
        form.prefix = self.add_prefix(index)
        return form

    def filled(self) -> list[ItemForm]:
        """The valid rows that were filled in, in order (rows left empty are no lines)."""
        return [form for form in self.forms if form.cleaned_data]


ItemFormSet = formset_factory(
    ItemForm,
    formset=BaseItemFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=MAX_ITEMS,
    validate_max=True,
)


def rows_after(data) -> int:
    """How many item rows the page shows now (its management form, in the query of an htmx request)."""
    return min(ItemFormSet(data).total_form_count(), MAX_ITEMS)


def with_one_more_row(data) -> tuple[InvoiceForm, BaseItemFormSet]:
    """The form as it was submitted, not yet checked, with one more empty line (adding a line without JavaScript)."""
    shown = [{name: form[name].value() for name in form.fields} for form in ItemFormSet(data).forms]
    if len(shown) < MAX_ITEMS:
        shown.append({})
    head = {name: data.get(name, "") for name in InvoiceForm.base_fields}
    return InvoiceForm(initial=head), ItemFormSet(shown=shown)


def red_letter_initial(original: Invoice) -> tuple[dict, list[dict]]:
    """The first values of a red-letter invoice against ``original``: its type, buyer and lines,
    with negative amounts and taxes; a 数电票's remarks name the original's number, as the rules expect."""
    head = {
        "type": original.type,
        "code": original.code,
        "buyer_name": original.buyer.name,
        "buyer_tax_id": original.buyer.tax_id,
        "remarks": RED_LETTER_REMARK + original.number if types.is_digital(original.type) else "",
    }
    lines = [
        {"name": item.name, "amount": -item.amount, "tax_rate": item.tax_rate, "tax": -item.tax}
        for item in original.items
    ]
    return head, lines


def _line(data: dict) -> Item:
    tax = data["tax"]
    if tax is None:
        tax = arithmetic.line_tax(data["amount"], data["tax_rate"])
    return Item(name=data["name"], amount=data["amount"], tax_rate=data["tax_rate"], tax=tax)


def _in_words(total: Decimal) -> str:
    try:
        return amount_words.to_words(total)
    except ValueError:  # beyond what 大写 can write: the registry refuses such a total anyway
        return ""


def invoice_of(
    form: InvoiceForm, items: BaseItemFormSet, seller: Party, red_letter_of: InvoiceKey | None = None
) -> Invoice:
    """The invoice the valid forms describe, sold by ``seller``: 合计 and 价税合计 are the sums of its lines."""
    data = form.cleaned_data
    lines = tuple(_line(row.cleaned_data) for row in items.filled())
    amount = sum((line.amount for line in lines), Decimal("0.00"))
    tax = sum((line.tax for line in lines), Decimal("0.00"))
    total = amount + tax
    return Invoice(
        type=data["type"],
        code=normalize_text(data["code"]),
        number=normalize_text(data["number"]),
        check_code=normalize_text(data["check_code"]),
        issue_date=data["issue_date"],
        seller=seller,
        buyer=Party(name=data["buyer_name"], tax_id=normalize_text(data["buyer_tax_id"])),
        items=lines,
        amount=amount,
        tax=tax,
        total=total,
        total_in_words=_in_words(total),
        remarks=data["remarks"],
        red_letter_of=red_letter_of,
    )


def _problems(error: RegistryError) -> list[tuple[str, str]]:
    """(field, words) of each reason the registry gave: its findings in words, else the refusal
    named by the ``field: …`` of its message."""
    if error.findings:
        return [(finding.field, labels.finding(finding.rule, finding.field)) for finding in error.findings]
    name, _sep, _rest = str(error).partition(": ")
    return [(name, str(REFUSALS.get(name, REFUSED)))]


def _place(path: str, form: InvoiceForm, rows: list[ItemForm]) -> tuple[forms.Form, str | None]:
    """The form, and its field, where a finding about the invoice field ``path`` is shown (None: above the fields)."""
    line = ITEM_PATH.fullmatch(path)
    if line and int(line[1]) < len(rows) and line[2] in rows[int(line[1])].fields:
        return rows[int(line[1])], line[2]
    name = FORM_FIELDS.get(path, path)
    return form, name if name in form.fields else None


def show_refusal(error: RegistryError, form: InvoiceForm, items: BaseItemFormSet) -> None:
    """Show why the registry refused the invoice beside the fields it names, each reason once; the rest above the form."""
    rows = items.filled()
    for path, words in _problems(error):
        where, name = _place(path, form, rows)
        if words not in where.errors.get(name or NON_FIELD_ERRORS, ()):
            where.add_error(name, words)


class VoidForm(forms.Form):
    """Why the invoice is voided (kept in its status history)."""

    reason = forms.CharField(
        label=_("作废原因"), max_length=REASON_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
