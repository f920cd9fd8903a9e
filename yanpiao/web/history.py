"""The verification history pages: my checks (an auditor: everyone's), filtered and paged, exported as CSV or XLSX.

Thin adapters over :mod:`yanpiao.history`, as the API's ``/verifications`` is: the filters are
judged by ``HistoryFilter.parse`` (this module only renders them and words its errors), the rows
come from ``services.page`` (what ``access.visibility`` lets the viewer see, newest first, with
sealed cursors) and are shown as ``access.disclosure`` decides; the exports are
``history.export`` jobs (streamed, audited) on the web channel.

Paging is keyset paging, forward only: the "上一页" link goes back through the cursors of the pages
read before (``back``, the last :data:`MAX_TRAIL` of them, carried in the links).
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from yanpiao.access import disclosure, visibility
from yanpiao.fapiao.types import NAMES
from yanpiao.history import export, paging, services
from yanpiao.history.filters import PARAMETERS, FilterError, HistoryFilter
from yanpiao.verification.models import Channel
from yanpiao.web import labels
from yanpiao.web.errors import error_page

PAGE_SIZE = 20  # rows per page: short enough for a phone
MAX_TRAIL = 20  # earlier pages' cursors kept for "上一页"

# What each filter expects, in the site's words (the filter's own reasons name internal codes).
INVALID = {
    "outcome": _("请从列表中选择查验结果。"),
    "type": _("请从列表中选择发票类型。"),
    "channel": _("请从列表中选择渠道。"),
    "from": _("应为日期，如 2025-04-01。"),
    "to": _("应为日期，如 2025-04-01，且不早于起始日期。"),
    "seller_tax_id": _("纳税人识别号应为 15–20 位字母或数字。"),
    "min_total": _("应为金额，最多两位小数，如 1234.50。"),
    "max_total": _("应为金额，最多两位小数，且不小于最低价税合计。"),
}


def _select(label, choices) -> forms.CharField:
    """A select whose value ``HistoryFilter.parse`` judges (a CharField: no second validation)."""
    return forms.CharField(
        label=label, required=False, widget=forms.Select(choices=[("", _("全部")), *choices])
    )


def _text(label, **attrs) -> forms.CharField:
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=attrs))


class FilterForm(forms.Form):
    """The API's filters as a GET form; valid, its ``cleaned_data["filter"]`` is the HistoryFilter."""

    def __init__(self, data):
        super().__init__(data)
        # Built here, not declared: ``from`` is a Python keyword, and the type names follow the language.
        self.fields.update(
            {
                "outcome": _select(_("查验结果"), labels.OUTCOMES.items()),
                "type": _select(_("发票类型"), [(code, labels.invoice_type(code)) for code in NAMES]),
                "channel": _select(_("渠道"), labels.CHANNELS.items()),
                "from": _text(_("起始日期"), type="date"),
                "to": _text(_("截止日期"), type="date"),
                "seller_tax_id": _text(_("销售方纳税人识别号"), autocomplete="off"),
                "min_total": _text(_("最低价税合计"), inputmode="decimal"),
                "max_total": _text(_("最高价税合计"), inputmode="decimal"),
            }
        )

    def clean(self):
        try:
            self.cleaned_data["filter"] = HistoryFilter.parse(self.data)
        except FilterError as error:
            for name in error.fields:
                self.add_error(name, INVALID[name])
        return self.cleaned_data

    def params(self) -> dict[str, str]:
        """The filters given (not empty), as query parameters for the paging and export links."""
        return {name: self.data[name] for name in PARAMETERS if self.data.get(name, "").strip()}


def _url(name: str, params) -> str:
    query = urlencode(params, doseq=True)
    return reverse(name) + (f"?{query}" if query else "")


def _paging_links(filters: dict, cursor: str, trail: list[str], next_cursor: str | None) -> dict:
    """The "下一页" and "上一页" links: the filters, the cursor, and the earlier pages' cursors."""
    links = {"next_url": None, "previous_url": None}
    if next_cursor:
        back = [*trail, cursor][-MAX_TRAIL:]
        links["next_url"] = _url("web:history", {**filters, "cursor": next_cursor, "back": back})
    if cursor:
        previous = {**filters, "back": trail[:-1]}
        if trail and trail[-1]:
            previous["cursor"] = trail[-1]
        links["previous_url"] = _url("web:history", previous)
    return links


def _render(request, form: FilterForm, found=None, links=None, status: int = 200):
    filters = form.params()
    context = {
        "form": form,
        "filtered": bool(filters),
        "staff": visibility.is_staff(request.user),
        "page": found,
        "rows": [],
        **(links or {}),
    }
    if found is not None:
        views = (disclosure.verification_view(request.user, row) for row in found.items)
        context["rows"] = [(view, dict(view.submitted)) for view in views]
        context["export_csv"] = _url("web:history_export", {**filters, "format": "csv"})
        context["export_xlsx"] = _url("web:history_export", {**filters, "format": "xlsx"})
    return render(request, "web/history.html", context, status=status)


@never_cache
@login_required
@require_safe
def history(request):
    """My verifications and my organisation's (an auditor or admin: everyone's), newest first."""
    form = FilterForm(request.GET)
    if not form.is_valid():
        return _render(request, form, status=400)
    cursor = request.GET.get("cursor", "")
    try:
        found = services.page(request.user, form.cleaned_data["filter"], cursor or None, PAGE_SIZE)
    except paging.InvalidCursor:
        return error_page(request, 400, gettext("翻页链接已失效，请从第一页重新查看。"))
    trail = request.GET.getlist("back")[-MAX_TRAIL:]
    return _render(request, form, found, _paging_links(form.params(), cursor, trail, found.next_cursor))


@login_required
@require_GET
def history_export(request):
    """Every verification the filters select, as a CSV (streamed) or XLSX download; audited."""
    form = FilterForm(request.GET)
    if not form.is_valid():
        return _render(request, form, status=400)
    kind = request.GET.get("format", "csv").strip().lower()
    if kind not in export.FORMATS:
        return error_page(request, 400, gettext("导出格式应为 CSV 或 Excel。"))
    job = export.Export(request.user, form.cleaned_data["filter"], kind, channel=Channel.WEB)
    return job.response()


urlpatterns = [
    path("", history, name="history"),
    path("export/", history_export, name="history_export"),
]
