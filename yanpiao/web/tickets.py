"""The ticket pages: a user's tickets and a new one; staff's queue; one ticket's conversation,
polled by htmx every few seconds so an answer appears without reloading; its attachments.

Thin adapters over :mod:`yanpiao.support.tickets` (which checks, stores and audits): a ticket is
fetched through :func:`~yanpiao.support.tickets.ticket_for`, so anyone but its owner and staff
gets 404, for the page, the polled fragment, its steps and its attachments alike.  Speaking
instead of typing is ``web/voice.js`` (no inline script: the content security policy).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yanpiao.access import visibility
from yanpiao.access.masking import mask
from yanpiao.feedback.models import ASPECTS
from yanpiao.support import tickets
from yanpiao.support.models import CannedAnswer, Ticket
from yanpiao.web.alert_forms import staff_name
from yanpiao.web.errors import error_page
from yanpiao.web.ticket_forms import (
    AssignForm,
    CannedForm,
    FilterForm,
    NoteForm,
    RatingForm,
    ReplyForm,
    TicketForm,
    uploads,
)

PAGE_SIZE = 25
POLL_SECONDS = 5
STEPS = ("reply", "note", "assign", "assign_me", "close", "reopen", "rate")
# A refusal of the service (``Refused.code``), in the site's words.
REFUSALS = {
    "closed": _("这张工单已关闭，请先重新打开。"),
    "not_closed": _("只有已关闭的工单可以重新打开或评价。"),
    "rated": _("这张工单已经评价过了。"),
    "not_owner": _("只有提交工单的用户可以评价。"),
    "not_staff": _("工单只能指派给审计员或管理员。"),
    "file_type": _("附件只能是图片（JPEG、PNG、WEBP）或语音（WebM、Ogg、MP4）。"),
    "file_empty": _("附件是空文件。"),
    "image_too_large": _("图片太大（文件或像素过多），请压缩后再试。"),
    "image_damaged": _("图片已损坏，无法读取。"),
    "audio_too_large": _("语音不能超过 2 MB。"),
    "too_many_files": _("每条消息最多附 3 个文件。"),
    "body_empty": _("请填写内容或附上文件。"),
}
DONE = {
    "reply": _("回复已发送。"),
    "note": _("备注已添加。"),
    "assign": _("已指派。"),
    "assign_me": _("已指派给您。"),
    "close": _("工单已关闭。"),
    "reopen": _("工单已重新打开。"),
    "rate": _("感谢您的评价！"),
}


def _refusal(error: tickets.Refused) -> str:
    return str(REFUSALS.get(error.code, error.message))


def is_overdue(ticket: Ticket, now=None) -> bool:
    """Past its first-response promise with no staff answer (and not closed)."""
    now = now or timezone.now()
    return ticket.first_response_at is None and ticket.status != Ticket.Status.CLOSED and ticket.due_at < now


# --- the list and the queue ----------------------------------------------------------------------


@never_cache
@login_required
@require_safe
def ticket_list(request):
    """The user's own tickets; for staff the queue of all, filtered by status, category, assignee
    and overdue, the overdue ones flagged."""
    staff = visibility.is_staff(request.user)
    found = tickets.tickets_visible_to(request.user).select_related("assignee")
    form, status = None, 200
    if staff:
        form = FilterForm(request.GET)
        if form.is_valid():
            found = _filtered(found, form.cleaned_data, request.user)
        else:
            found, status = found.none(), 400
    else:
        found = found.filter(owner=request.user)
    page = Paginator(found.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(ticket, is_overdue(ticket, now)) for ticket in page]
    context = {"staff": staff, "form": form, "page": page, "rows": rows}
    return render(request, "web/tickets/list.html", context, status=status)


def _filtered(found, chosen: dict, user):
    if chosen.get("status"):
        found = found.filter(status=chosen["status"])
    if chosen.get("category"):
        found = found.filter(category=chosen["category"])
    if chosen.get("assignee") == "me":
        found = found.filter(assignee=user)
    elif chosen.get("assignee") == "none":
        found = found.filter(assignee__isnull=True)
    if chosen.get("overdue"):
        found = found.filter(
            Q(first_response_at__isnull=True) & Q(due_at__lt=timezone.now()) & ~Q(status=Ticket.Status.CLOSED)
        )
    return found


# --- a new ticket --------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def ticket_new(request):
    """Open a ticket (``?verification=<id>``: about that check, if the user may see it)."""
    if request.method != "POST":
        initial = {"verification": request.GET.get("verification", "")}
        form = TicketForm(initial=initial)
        linked = _linked(request, initial["verification"])
        return render(request, "web/tickets/new.html", {"form": form, "linked": linked})
    form = TicketForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            ticket = tickets.open_ticket(
                request.user,
                data["category"],
                data["subject"],
                data["body"],
                verification_id=data["verification"],
                uploads=uploads(data["files"]),
            )
        except tickets.Refused as refused:
            form.add_error(None, _refusal(refused))
        else:
            messages.success(request, _("工单已提交，我们会在 24 小时内回复。"))
            return redirect("web:ticket", public_id=ticket.public_id)
    linked = _linked(request, form.data.get("verification", ""))
    return render(request, "web/tickets/new.html", {"form": form, "linked": linked}, status=400)


def _linked(request, verification_id: str):
    """The verification a new ticket is about, when the user may see it; else nothing."""
    if not verification_id:
        return None
    try:
        return visibility.verification_for(request.user, verification_id)
    except (visibility.NotVisible, ValueError):
        return None


# --- one ticket ----------------------------------------------------------------------------------


def _thread(ticket: Ticket, user) -> list[dict]:
    """The messages ``user`` may read, each with who wrote it and its attachments."""
    staff_viewer = visibility.is_staff(user)
    shown = []
    for message in tickets.messages_for(ticket, user):
        by_owner = message.author_id == ticket.owner_id
        if by_owner:
            who = _("您") if user.pk == ticket.owner_id else _masked_owner(ticket)
        elif message.author is not None:
            who = staff_name(message.author) if staff_viewer else _("客服")
        else:
            who = _("系统")
        shown.append(
            {
                "message": message,
                "role": "owner" if by_owner else "staff",
                "who": who,
                "attachments": list(message.attachments.all()),
            }
        )
    return shown


def _masked_owner(ticket: Ticket) -> str:
    owner = ticket.owner
    return owner.display_name or mask(owner.email, "email") or mask(owner.phone, "phone")


def _context(request, ticket: Ticket, **forms) -> dict:
    staff = visibility.is_staff(request.user)
    owner = request.user.pk == ticket.owner_id
    closed = ticket.status == Ticket.Status.CLOSED
    rating = tickets.rating_of(ticket)
    initial = {}
    canned_id = request.GET.get("canned", "")
    if staff and canned_id.isdigit():
        canned = CannedAnswer.objects.filter(pk=int(canned_id)).first()
        initial = {"body": canned.body} if canned else {}
    return {
        "ticket": ticket,
        "staff": staff,
        "owner": owner,
        "closed": closed,
        "overdue": is_overdue(ticket),
        "thread": _thread(ticket, request.user),
        "poll_seconds": POLL_SECONDS,
        "rating": rating,
        "rated": [
            (label, getattr(rating, name))
            for name, label in ASPECTS.items()
            if rating and getattr(rating, name)
        ],
        "assignee": staff_name(ticket.assignee) if ticket.assignee else "",
        "canned": list(tickets.canned_answers()) if staff else [],
        "reply_form": forms.get("reply_form") or ReplyForm(initial=initial),
        "note_form": forms.get("note_form") or NoteForm(),
        "assign_form": forms.get("assign_form") or AssignForm(initial={"assignee": ticket.assignee_id}),
        "rating_form": forms.get("rating_form") or RatingForm(),
        "can_rate": owner and closed and rating is None,
    }


@never_cache
@login_required
@require_safe
def ticket_detail(request, public_id):
    """A ticket's conversation, its reply form and (staff) its workflow; the owner's rating once closed."""
    ticket = tickets.ticket_for(request.user, public_id)
    return render(request, "web/tickets/detail.html", _context(request, ticket))


@never_cache
@login_required
@require_safe
def ticket_messages(request, public_id):
    """The conversation alone, as the ticket's page polls it."""
    ticket = tickets.ticket_for(request.user, public_id)
    context = {"ticket": ticket, "thread": _thread(ticket, request.user)}
    return render(request, "web/tickets/_messages.html", context)


@login_required
@require_POST
def ticket_step(request, public_id, step: str):
    """One step on a ticket: reply, note, assign, close, reopen, rate; back to its page."""
    if step not in STEPS:
        raise visibility.NotVisible("no such step")
    ticket = tickets.ticket_for(request.user, public_id)
    user = request.user
    try:
        if step == "reply":
            form = ReplyForm(request.POST, request.FILES)
            if not form.is_valid():
                return _again(request, ticket, reply_form=form)
            try:
                tickets.reply(ticket, user, form.cleaned_data["body"], uploads(form.cleaned_data["files"]))
            except tickets.Refused as refused:
                form.add_error(None, _refusal(refused))
                return _again(request, ticket, reply_form=form)
        elif step == "note":
            form = NoteForm(request.POST)
            if not form.is_valid():
                return _again(request, ticket, note_form=form)
            tickets.add_note(ticket, user, form.cleaned_data["note"])
        elif step in ("assign", "assign_me"):
            if step == "assign_me":
                assignee = user
            else:
                form = AssignForm(request.POST)
                if not form.is_valid():
                    return _again(request, ticket, assign_form=form)
                assignee = form.cleaned_data["assignee"]
            tickets.assign(ticket, user, assignee)
        elif step == "close":
            tickets.close(ticket, user)
        elif step == "reopen":
            tickets.reopen(ticket, user)
        else:
            form = RatingForm(request.POST)
            if not form.is_valid():
                return _again(request, ticket, rating_form=form)
            tickets.rate(ticket, user, form.scores(), form.cleaned_data["comment"])
    except tickets.Refused as refused:
        return error_page(request, 400, _refusal(refused))
    messages.success(request, DONE[step])
    return redirect("web:ticket", public_id=ticket.public_id)


def _again(request, ticket: Ticket, **forms):
    return render(request, "web/tickets/detail.html", _context(request, ticket, **forms), status=400)


@never_cache
@login_required
@require_safe
def ticket_attachment(request, public_id, attachment_id: int):
    """A screenshot or voice note, to its ticket's owner and staff only, as a download."""
    attachment, data = tickets.attachment_for(request.user, public_id, attachment_id)
    response = HttpResponse(data, content_type=attachment.content_type)
    extension = attachment.content_type.split("/")[1]
    response["Content-Disposition"] = f'attachment; filename="{attachment.kind}-{attachment.pk}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- canned answers (staff) ----------------------------------------------------------------------


def _staff(request) -> None:
    if not visibility.is_staff(request.user):
        raise visibility.NotVisible("no such page")


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def canned_list(request):
    """Staff's canned answers: the list, a new one, and each one changed or deleted."""
    _staff(request)
    form, status = CannedForm(), 200
    if request.method == "POST":
        form = CannedForm(request.POST)
        if form.is_valid():
            tickets.save_canned(request.user, form.cleaned_data["title"], form.cleaned_data["body"])
            messages.success(request, _("常用回复已保存。"))
            return redirect("web:canned_answers")
        status = 400
    answers = [
        (each, CannedForm(initial={"title": each.title, "body": each.body}, prefix=f"c{each.pk}"))
        for each in tickets.canned_answers()
    ]
    return render(request, "web/tickets/canned.html", {"form": form, "answers": answers}, status=status)


@login_required
@require_POST
def canned_change(request, canned_id: int, change: str):
    """Save or delete one canned answer."""
    _staff(request)
    canned = CannedAnswer.objects.filter(pk=canned_id).first()
    if canned is None or change not in ("save", "delete"):
        raise visibility.NotVisible("no such canned answer")
    if change == "delete":
        tickets.delete_canned(request.user, canned)
        messages.success(request, _("常用回复已删除。"))
        return redirect("web:canned_answers")
    form = CannedForm(request.POST, prefix=f"c{canned.pk}")
    if not form.is_valid():
        return error_page(request, 400, _("请填写标题和内容。"))
    tickets.save_canned(request.user, form.cleaned_data["title"], form.cleaned_data["body"], canned)
    messages.success(request, _("常用回复已保存。"))
    return redirect("web:canned_answers")


urlpatterns = [
    path("", ticket_list, name="tickets"),
    path("new/", ticket_new, name="ticket_new"),
    path("canned/", canned_list, name="canned_answers"),
    path("canned/<int:canned_id>/<str:change>/", canned_change, name="canned_change"),
    path("<uuid:public_id>/", ticket_detail, name="ticket"),
    path("<uuid:public_id>/messages/", ticket_messages, name="ticket_messages"),
    path("<uuid:public_id>/attachments/<int:attachment_id>/", ticket_attachment, name="ticket_attachment"),
    path("<uuid:public_id>/<str:step>/", ticket_step, name="ticket_step"),
]
