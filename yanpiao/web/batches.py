"""The batch pages: upload a file of invoices, watch its progress live, download the results.

Thin adapters over :mod:`yanpiao.batches.services`, as the API's ``/batches`` is: the workers
(``yanpiao worker``) verify; these pages queue a batch, follow it, stop it or take it up again.
Every page needs an account; a batch the visitor may not see is a 404 (``batch_for`` raises
``NotVisible``), exactly as one that does not exist.

The batch page polls its progress fragment every second with htmx while the batch is queued or
running; the fragment of an ended batch carries no trigger, so the polling stops by itself.

An upload goes straight to a temporary file on disk, whatever its size (the upload handlers are
set before the form is read: hence the CSRF check inside the view, as Django's documentation
shows), and the batch is read from that file.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yanpiao.access.visibility import is_staff
from yanpiao.batches import results, services
from yanpiao.batches.rows import BatchRefused
from yanpiao.history import paging
from yanpiao.web.errors import error_page

ACCEPT = ".csv,.xlsx,.xls,.jsonl,.zip"
PAGE_SIZE = 20  # batches per page of the list
# Why a file cannot be a batch (BatchRefused.reason), in plain words.
REFUSALS = {
    "not_table": _("这不是发票清单。请上传表格（CSV、Excel、JSON Lines）或装有电子发票的 ZIP 压缩包。"),
    "missing_columns": _("表格缺少必需的列：发票号码、开票日期，以及金额、校验码或价税合计中的一列。"),
    "empty": _("文件中没有发票。"),
    "too_large": _("文件超过大小上限（%(size)s）。"),
    "unsafe": _("压缩包含有不安全的内容，已拒绝读取。"),
    "unreadable": _("无法读取这个文件：它可能已损坏或设有密码。"),
}
UNREADABLE = REFUSALS["unreadable"]
# What the file was read as (Batch.format).
FORMATS = {
    "csv": "CSV",
    "xlsx": "Excel (XLSX)",
    "xls": "Excel (XLS)",
    "jsonl": "JSON Lines",
    "zip": _("ZIP 压缩包"),
}
CANCEL_REFUSED = _("这批发票已经查验结束，无法取消。")
RETRY_REFUSED = _("只有失败或已取消的批量查验可以重试。")


def max_bytes() -> int:
    return settings.YANPIAO_BATCH_MAX_BYTES


class BatchForm(forms.Form):
    """One file: a table of invoices, or a ZIP of invoice documents."""

    file = forms.FileField(
        label=_("发票清单文件"),
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
        error_messages={"required": _("请选择一个文件。"), "empty": _("文件中没有发票。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "表格（CSV、Excel、JSON Lines）每行一张发票，列名为发票代码、发票号码、开票日期，以及金额、"
            "校验码后6位或价税合计；或把电子发票文件（PDF、OFD、XML、图片）打成 ZIP 压缩包。不超过 %(size)s。"
        ) % {"size": filesizeformat(max_bytes())}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise forms.ValidationError(refusal("too_large"))
        return upload


def refusal(reason: str) -> str:
    """Why a file was refused, in plain words."""
    return str(REFUSALS.get(reason, UNREADABLE)) % {"size": filesizeformat(max_bytes())}


# --- the list and the upload --------------------------------------------------------------------


@never_cache
@login_required
@csrf_exempt  # checked by _batches, once the upload handlers are set
def batches(request):
    """My batches, newest first, and the form that uploads a new one."""
    if request.method == "POST":
        request.upload_handlers = [TemporaryFileUploadHandler(request)]
    return _batches(request)


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def _batches(request):
    if request.method != "POST":
        return _list(request, BatchForm())
    form = BatchForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = services.create_from_upload(request.user, upload)
        except BatchRefused as refused:
            form.add_error("file", refusal(refused.reason))
        else:
            return redirect("web:batch", public_id=batch.public_id)
    return _list(request, form, status=400)


def _list(request, form: BatchForm, status: int = 200):
    cursor = request.GET.get("cursor", "")
    try:
        found = paging.page(services.batches_of(request.user), cursor or None, PAGE_SIZE)
    except paging.InvalidCursor:
        return error_page(request, 400, gettext("翻页链接已失效，请从第一页重新查看。"))
    context = {
        "form": form,
        "staff": is_staff(request.user),
        "rows": [(batch, services.progress(batch, reload=False)) for batch in found.items],
        "first_url": reverse("web:batches") if cursor else None,
        "next_url": f"{reverse('web:batches')}?{urlencode({'cursor': found.next_cursor})}"
        if found.next_cursor
        else None,
    }
    return render(request, "web/batches/list.html", context, status=status)


# --- one batch ----------------------------------------------------------------------------------


def _context(request, public_id) -> dict:
    batch = services.batch_for(request.user, public_id)
    return {
        "batch": batch,
        "state": services.progress(batch, reload=False),
        "format_name": FORMATS.get(batch.format, batch.format),
    }


@never_cache
@require_safe
@login_required
def batch_detail(request, public_id):
    """One batch: its file, a live progress bar, the verifications by outcome, and what can be done."""
    return render(request, "web/batches/batch.html", _context(request, public_id))


@never_cache
@require_safe
@login_required
def batch_progress(request, public_id):
    """The batch page's progress fragment; it asks for itself again every second until the batch ends."""
    return render(request, "web/batches/_progress.html", _context(request, public_id))


def _change(request, public_id, change, refused_message):
    """Cancel or retry (``PermissionDenied`` for a batch the visitor may see but not change: 403),
    then back to the batch page, with a word when there was nothing to do."""
    batch = services.batch_for(request.user, public_id)
    if not change(request.user, batch):
        messages.warning(request, refused_message)
    return redirect("web:batch", public_id=batch.public_id)


@require_POST
@login_required
def batch_cancel(request, public_id):
    return _change(request, public_id, services.cancel, CANCEL_REFUSED)


@require_POST
@login_required
def batch_retry(request, public_id):
    return _change(request, public_id, services.retry, RETRY_REFUSED)


@require_safe
@login_required
def batch_result(request, public_id, file_format: str):
    """The result file (XLSX or CSV) of an ended batch; before it has ended, back to its page."""
    if file_format not in results.FORMATS:
        raise Http404("no such format")
    batch = services.batch_for(request.user, public_id)
    if not batch.finished:
        messages.info(request, gettext("这批发票还在查验，结束后才能下载结果。"))
        return redirect("web:batch", public_id=batch.public_id)
    return services.result_response(batch, file_format, viewer=request.user)


urlpatterns = [
    path("", batches, name="batches"),
    path("<uuid:public_id>/", batch_detail, name="batch"),
    path("<uuid:public_id>/progress/", batch_progress, name="batch_progress"),
    path("<uuid:public_id>/cancel/", batch_cancel, name="batch_cancel"),
    path("<uuid:public_id>/retry/", batch_retry, name="batch_retry"),
    path("<uuid:public_id>/result.<str:file_format>", batch_result, name="batch_result"),
]
