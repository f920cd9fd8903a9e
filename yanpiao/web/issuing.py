"""The issuer's pages: register an invoice, list the organisation's invoices, void one, issue a red-letter invoice; the signed QR code.

Thin adapters over :mod:`yanpiao.registry.issuing` and :mod:`yanpiao.registry.services`, as the
API's issuer endpoints (:mod:`yanpiao.api.invoices`): the registry validates, stores, applies
red-letter invoices, signs the QR payload and writes the audit entries.  Only an issuer of an
organisation with a tax ID uses these pages, for that organisation's invoices only
(:func:`yanpiao.access.visibility.issued_by`); anyone else gets 404, as for an invoice that
does not exist.  An invoice is named in paths by its key as the API writes it:
``<发票代码>-<发票号码>``, or the 发票号码 alone for a 数电票.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from yanpiao.access import visibility
from yanpiao.access.visibility import NotVisible, issued_by
from yanpiao.fapiao.invoice import InvoiceKey, Party
from yanpiao.registry import issuing
from yanpiao.registry import models as registry_models
from yanpiao.registry import services as registry
from yanpiao.registry.models import Status
from yanpiao.web import issuer_forms
from yanpiao.web.errors import error_page
from yanpiao.web.issuer_forms import InvoiceForm, ItemFormSet, VoidForm

# --- who and what ------------------------------------------------------------------------------


def _organisation(user):
    """The issuer's organisation; :class:`NotVisible` for anyone who may not issue."""
    if not visibility.may_issue(user):
        raise NotVisible("no such page")
    return user.organisation


def _own_row(user, key: str) -> registry_models.Invoice:
    """The organisation's registered invoice named by ``key``; :class:`NotVisible` if there is none."""
    parsed = issuing.parse_key(key)
    row = None
    if parsed is not None:
        row = (
            issued_by(user)
            .select_related("seller", "buyer", "red_letter_of")
            .filter(code=parsed[0], number=parsed[1])
            .first()
        )
    if row is None:
        raise NotVisible("no such invoice")
    return row


def _key(row: registry_models.Invoice) -> str:
    return issuing.key_text(row.code, row.number)


def _actions(row: registry_models.Invoice) -> dict[str, bool]:
    """What the issuer may still do with the invoice, as the registry's status transitions allow."""
    allowed = registry.TRANSITIONS[Status(row.status)]
    return {
        "void": Status.VOIDED in allowed,
        "red_letter": row.red_letter_of_id is None and Status.RED_FLUSHED in allowed,
    }


# --- the list ----------------------------------------------------------------------------------


@require_GET
@login_required
def invoice_list(request):
    """The organisation's invoices, newest first, a page at a time."""
    _organisation(request.user)
    try:
        page = issuing.page(issued_by(request.user), request.GET.get("cursor"))
    except issuing.InvalidCursor:
        return error_page(request, 400, _("翻页链接无效，请从第一页开始。"))
    rows = [{"key": _key(row), "invoice": row, "actions": _actions(row)} for row in page.rows]
    context = {"rows": rows, "next_cursor": page.next_cursor, "paged": bool(request.GET.get("cursor"))}
    return render(request, "web/issuer/list.html", context)


# --- registering -------------------------------------------------------------------------------


def _registration(request, organisation, *, head=None, lines=(), original=None):
    """The registration form (a red-letter invoice's when ``original`` is given): shown with
    ``head`` and ``lines``; submitted, registered, or shown again with the reasons it was not."""
    status = 200
    if request.method == "GET":
        form, items = InvoiceForm(initial=head), ItemFormSet(shown=lines)
    elif "add_item" in request.POST:
        form, items = issuer_forms.with_one_more_row(request.POST)
    else:
        form, items = InvoiceForm(request.POST), ItemFormSet(request.POST)
        issued = _register(request, organisation, form, items, original)
        if issued is not None:
            messages.success(request, _("发票已开具。"))
            return redirect("web:issuer_invoice", key=_key(issued.row))
        status = 400
    context = {
        "form": form,
        "items": items,
        "original": original,
        "original_key": original and _key(original),
    }
    return render(request, "web/issuer/register.html", context, status=status)


def _register(request, organisation, form, items, original) -> issuing.Issued | None:
    """Register the invoice of the submitted forms; None, with the reasons beside the fields, if it was not."""
    if not (form.is_valid() and items.is_valid()):
        return None
    seller = Party(name=organisation.name, tax_id=organisation.tax_id)
    red_letter_of = InvoiceKey(original.code, original.number) if original else None
    invoice = issuer_forms.invoice_of(form, items, seller, red_letter_of)
    if registry.find_row(invoice.key) is not None:
        form.add_error("number", _("这个发票代码和号码已经登记过。"))
        return None
    try:
        return issuing.issue(invoice, actor=request.user)
    except registry.RegistryError as exc:
        issuer_forms.show_refusal(exc, form, items)
        return None


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def register(request):
    """Register (开具) an invoice of the organisation."""
    return _registration(request, _organisation(request.user))


@require_GET
@login_required
def item_row(request):
    """One more empty line for the registration form (htmx), numbered after the rows the page shows."""
    _organisation(request.user)
    index = issuer_forms.rows_after(request.GET)
    if index >= issuer_forms.MAX_ITEMS:
        return HttpResponse(status=204)
    rows = ItemFormSet(shown=[{}] * (index + 1))
    context = {"item": rows.row(index), "index": index, "management_form": rows.management_form}
    return render(request, "web/issuer/item_added.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def red_letter(request, key: str):
    """Register a red-letter invoice (红字发票) reversing the invoice, wholly or in part."""
    organisation = _organisation(request.user)
    original = _own_row(request.user, key)
    head, lines = issuer_forms.red_letter_initial(issuing.registered(original))
    return _registration(request, organisation, head=head, lines=lines, original=original)


# --- one invoice -------------------------------------------------------------------------------


@require_GET
@login_required
def invoice_page(request, key: str):
    """The invoice as registered, its status and its signed QR code."""
    row = _own_row(request.user, key)
    issued = issuing.answer(row, with_png=False)
    context = {
        "row": row,
        "key": _key(row),
        "invoice": issued.invoice,
        "qr_payload": issued.qr_payload,
        "actions": _actions(row),
        "status_history": registry.status_history(row.pk),
        "original_key": row.red_letter_of and _key(row.red_letter_of),
        "reversals": [_key(red) for red in row.red_letter_invoices.order_by("id")],
    }
    return render(request, "web/issuer/invoice.html", context)


@require_GET
@login_required
def qr_png(request, key: str):
    """The invoice's signed QR code as a PNG."""
    row = _own_row(request.user, key)
    response = HttpResponse(issuing.answer(row).qr_png, content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="{_key(row)}.png"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def void(request, key: str):
    """Void (作废) the invoice, after the issuer confirms it and gives a reason."""
    row = _own_row(request.user, key)
    form = VoidForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                registry.void(
                    InvoiceKey(row.code, row.number), form.cleaned_data["reason"], actor=request.user
                )
            except registry.RegistryError:
                form.add_error(None, _("这张发票当前的状态不能作废。"))
                status = 409
            else:
                messages.success(request, _("发票已作废。"))
                return redirect("web:issuer_invoice", key=_key(row))
    context = {"row": row, "key": _key(row), "form": form, "actions": _actions(row)}
    return render(request, "web/issuer/void.html", context, status=status)


urlpatterns = [
    path("", invoice_list, name="issuer"),
    path("new/", register, name="issuer_register"),
    path("new/item/", item_row, name="issuer_item_row"),
    path("<str:key>/", invoice_page, name="issuer_invoice"),
    path("<str:key>/void/", void, name="issuer_void"),
    path("<str:key>/red-letter/", red_letter, name="issuer_red_letter"),
    path("<str:key>/qr.png", qr_png, name="issuer_qr"),
]
