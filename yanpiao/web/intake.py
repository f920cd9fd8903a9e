"""Pages that verify documents: upload one or many files, and scan an invoice's QR code with the camera (or a hardware scanner).

Both are thin adapters over :func:`yanpiao.verification.services.verify_document`, as the API's
``/verifications/files`` and ``/verifications/qr`` are.  Each page works without JavaScript (the
form posts and the whole page comes back with the results); its script sends the same form with
``X-Requested-With: XMLHttpRequest`` and gets only the fragment: the cards, or the form's fields
with the error beside the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from yanpiao.fapiao.compare import INVALID
from yanpiao.fapiao.findings import Finding, errors
from yanpiao.intake.limits import Limits, RefusedDocument
from yanpiao.security import clients
from yanpiao.verification import services
from yanpiao.verification.models import Channel
from yanpiao.verification.throttling import TooManyChecks
from yanpiao.web import labels
from yanpiao.web.errors import error_page

MAX_FILES = services.MAX_DOCUMENTS_PER_UPLOAD
NAME_LENGTH = 200
ACCEPT = ".pdf,.ofd,.xml,.jpg,.jpeg,.png,.txt"
PAYLOAD_LENGTH = 512

# What the document is, in words (Extraction.format).
FORMATS = {
    "pdf": _("PDF 电子发票"),
    "ofd": _("OFD 电子发票"),
    "xml": _("数电发票 XML 文件"),
    "image": _("图片"),
    "qr": _("二维码文本"),
}
# Why a file cannot be read (RefusedDocument.reason), in plain words.
REFUSALS = {
    "too_large": _("文件超过大小上限（%(size)s）。"),
    "too_costly": _("文件太复杂，无法在限定时间内读完。请上传更小或更清晰的文件。"),
    "not_supported": _("不支持这种文件。请上传 PDF、OFD、数电发票 XML、发票照片（JPG、PNG）或二维码文本。"),
    "malformed": _("文件是空的或已损坏，无法读取。"),
    "encrypted": _("文件设有密码，无法读取。请上传未加密的文件。"),
    "not_invoice": _("文件中没有找到发票。"),
    "unsafe": _("文件含有不安全的内容，已拒绝读取。"),
}
UNREADABLE = _("无法读取这个文件。")
# What a finding about the whole document concerns, where it is not a field of the invoice.
DOCUMENT_FIELDS = {"document": _("文件"), "qr": _("二维码")}
# What a reader's rule found, in words; any other rule is shown by its reader's message.
RULES = {"ofd.part_unreadable": _("文件中有一部分无法读取，已跳过。")}
NOT_QR = _("这不是发票二维码的内容，请重新扫描。")


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class UploadForm(forms.Form):
    """One or more documents; each is read and verified on its own (its size is checked then)."""

    files = forms.Field(
        label=_("发票文件"),
        widget=MultipleFileInput(attrs={"accept": ACCEPT}),
        error_messages={"required": _("请选择至少一个文件。")},
    )

    def __init__(self, *args, limits: Limits, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = _(
            "PDF、OFD、数电发票 XML、发票照片（JPG、PNG）或二维码文本；每次最多 %(count)s 个文件，每个不超过 %(size)s。"
        ) % {"count": MAX_FILES, "size": filesizeformat(limits.max_bytes)}

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(gettext("一次最多上传 %(count)s 个文件。") % {"count": MAX_FILES})
        return files


class ScanForm(forms.Form):
    """A QR code's text, as the camera decodes it or a hardware scanner types it."""

    payload = forms.CharField(
        label=_("二维码内容"),
        max_length=PAYLOAD_LENGTH,
        help_text=_("用扫码枪扫描发票左上角的二维码，或粘贴二维码的文字，按回车查验。"),
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "off", "spellcheck": "false", "enterkeyhint": "go"}
        ),
    )


@dataclass
class Card:
    """What one uploaded file gave: the invoices it holds verified, or why it was refused."""

    name: str
    format: str = ""
    findings: list[dict] = field(default_factory=list)
    results: list[services.Result] = field(default_factory=list)
    reason: str = ""
    refusal: str = ""

    @property
    def format_name(self) -> str:
        return str(FORMATS.get(self.format, ""))


def refusal(reason: str, limits: Limits) -> str:
    """Why a file was refused, in plain words."""
    return str(REFUSALS.get(reason, UNREADABLE)) % {"size": filesizeformat(limits.max_bytes)}


def explained(finding: Finding) -> dict:
    """A finding about the document as a page shows it: its severity, what it concerns, what it means."""
    concerns = DOCUMENT_FIELDS.get(finding.field)
    return {
        "severity": finding.severity,
        "field": finding.field,
        "concerns": str(concerns) if concerns else labels.field(finding.field),
        "text": str(RULES.get(finding.rule, finding.message)),
    }


def wants_fragment(request) -> bool:
    """The page's script asks for the fragment only (the cards, or the form with its errors)."""
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def refused_form(request, form: forms.Form, template: str, context: dict | None = None) -> HttpResponse:
    """A 400 with the error beside the field: the whole page, or for the script the form's fields."""
    if wants_fragment(request):
        return render(request, "_form_fields.html", {"form": form}, status=400)
    return render(request, template, {"form": form, **(context or {})}, status=400)


def too_many_checks(request, refused: TooManyChecks) -> HttpResponse:
    return error_page(request, 429, str(refused), {"Retry-After": str(refused.retry_after)})


def verify_upload(request, upload, limits: Limits) -> Card:
    """Read and verify one uploaded file; its size is checked before it is read."""
    card = Card(name=(upload.name or "")[:NAME_LENGTH])
    try:
        if upload.size > limits.max_bytes:
            raise RefusedDocument("too_large", "the file is over the size limit")
        document = services.verify_document(
            upload.read(), request.user, limits=limits, client=clients.address(request)
        )
    except RefusedDocument as refused:
        card.reason, card.refusal = refused.reason, refusal(refused.reason, limits)
        return card
    card.format = document.extraction.format
    card.findings = [explained(f) for f in document.extraction.findings]
    card.results = document.results
    return card


@require_http_methods(["GET", "HEAD", "POST"])
def upload(request):
    """Upload up to MAX_FILES documents: a card per document, a result per invoice found in it."""
    limits = services.intake_limits()
    context = {"form": UploadForm(limits=limits), "max_files": MAX_FILES}
    if request.method != "POST":
        return render(request, "web/upload.html", context)
    form = UploadForm(request.POST, request.FILES, limits=limits)
    if not form.is_valid():
        return refused_form(request, form, "web/upload.html", {"max_files": MAX_FILES})
    try:
        cards = [verify_upload(request, upload, limits) for upload in form.cleaned_data["files"]]
    except TooManyChecks as refused:
        return too_many_checks(request, refused)
    if wants_fragment(request):
        return HttpResponse(
            "".join(render_to_string("web/_document.html", {"card": card}, request) for card in cards)
        )
    return render(request, "web/upload.html", {**context, "cards": cards})


def verify_payload(request, form: ScanForm) -> services.Result | None:
    """Verify the invoice the QR payload names; None (and the error on the form) when it is no invoice QR."""
    try:
        document = services.verify_document(
            form.cleaned_data["payload"].strip().encode("utf-8"),
            request.user,
            Channel.QR,
            client=clients.address(request),
        )
    except RefusedDocument:
        document = None
    if document is None or document.extraction.format != "qr" or len(document.results) != 1:
        form.add_error("payload", str(NOT_QR))
        return None
    result = document.results[0]
    if result.outcome == INVALID:
        wrong = (", " if labels.english() else "、").join(
            labels.field(f.field) for f in errors(result.findings)
        )
        form.add_error("payload", gettext("二维码中的发票信息有误：%(fields)s。") % {"fields": wrong})
        return None
    return result


@require_http_methods(["GET", "HEAD", "POST"])
def scan(request):
    """Scan an invoice's QR code with the camera, or type its payload with a hardware scanner."""
    form = ScanForm(request.POST if request.method == "POST" else None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = verify_payload(request, form)
        except TooManyChecks as refused:
            return too_many_checks(request, refused)
    if form.errors:
        return refused_form(request, form, "web/scan.html")
    if result and wants_fragment(request):
        return render(request, "web/_result.html", {"result": result})
    return render(request, "web/scan.html", {"form": ScanForm() if result else form, "result": result})


urlpatterns = [
    path("upload/", upload, name="upload"),
    path("scan/", scan, name="scan"),
]
