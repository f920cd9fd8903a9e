"""Tickets: a user's question, complaint, bug or suggestion, and the conversation with staff.

**Who sees what.**  A ticket is its owner's and staff's (auditors and admins): anyone else gets
:class:`~yanpiao.access.visibility.NotVisible` (404), as for a ticket that does not exist
(:func:`ticket_for`).  Internal notes are staff's only: :func:`messages_for` never gives them to
the owner.

**The conversation.**  :func:`open_ticket` starts it (optionally about a verification the user
may see); :func:`reply` adds a message, by the owner or staff: staff's reply answers the ticket
(its first one sets ``first_response_at``, the SLA's promise, :mod:`yanpiao.support.sla`), the
owner's opens it again.  Staff alone add notes, assign, and keep canned answers; the owner or
staff close and reopen; the owner rates a closed ticket once (:data:`ASPECTS`, 1–5 each).

**Attachments.**  Screenshots (proved images by decoding them with Pillow, within the intake's
limits) and voice notes (WebM, Ogg or MP4 audio by their first bytes, at most
:data:`MAX_AUDIO_BYTES`); at most :data:`MAX_FILES` a message.  Their bytes are sealed with the
fields keyset, the associated data naming the attachment, so one cannot be passed off as another.

Every step is one transaction with its audit entry; what people wrote never enters the log.
A refusal of the input or of the ticket's state raises :class:`Refused` (``code`` says which).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from yanpiao import dbapi
from yanpiao.access import visibility
from yanpiao.feedback.models import ASPECTS, COMMENT_LENGTH, HIGHEST, LOWEST
from yanpiao.intake.image import FORMATS
from yanpiao.security import audit, keys
from yanpiao.support import sla
from yanpiao.support.models import Attachment, CannedAnswer, Message, Ticket, TicketRating
from yanpiao.verification import services as verification_services

NotVisible = visibility.NotVisible
Category, Status = Ticket.Category, Ticket.Status

SUBJECT_LENGTH = 200
BODY_LENGTH = 5000
TITLE_LENGTH = 100
MAX_FILES = 3  # attachments of one message
MAX_AUDIO_BYTES = 2 * 1024 * 1024
IMAGE_TYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
IMAGE_TYPES.update({name: f"image/{name.lower()}" for name in FORMATS if name not in IMAGE_TYPES})


class Refused(ValueError):
    """The input, or the ticket as it is now, does not allow the step (``code`` says which rule)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Upload:
    """A file given with a message: its bytes and the name the browser sent (for messages only)."""

    name: str
    data: bytes


# --- who sees what -------------------------------------------------------------------------------


def tickets_visible_to(user) -> QuerySet[Ticket]:
    """Every ticket for staff, one's own for anyone else signed in, none for anonymous visitors."""
    if visibility.is_staff(user):
        return Ticket.objects.all()
    if not visibility.signed_in(user):
        return Ticket.objects.none()
    return Ticket.objects.filter(owner=user)


def ticket_for(user, public_id) -> Ticket:
    """The ticket ``public_id`` if ``user`` may see it (its owner, staff); else NotVisible."""
    found = tickets_visible_to(user).filter(public_id=public_id).select_related("assignee", "owner").first()
    if found is None:
        raise NotVisible("no such ticket")
    return found


def messages_for(ticket: Ticket, user) -> list[Message]:
    """The ticket's messages ``user`` may read, oldest first, with their attachments: staff's
    internal notes only for staff."""
    found = ticket.messages.select_related("author").prefetch_related("attachments")
    if not visibility.is_staff(user):
        found = found.filter(internal=False)
    return list(found)


def attachment_for(user, public_id, attachment_id: int) -> tuple[Attachment, bytes]:
    """An attachment of a message of the ticket ``public_id`` that ``user`` may read, and its bytes."""
    ticket = ticket_for(user, public_id)
    found = Attachment.objects.filter(pk=attachment_id, message__ticket=ticket).select_related("message")
    if not visibility.is_staff(user):
        found = found.filter(message__internal=False)
    attachment = found.first()
    if attachment is None:
        raise NotVisible("no such attachment")
    return attachment, keys.fields_aead().decrypt(bytes(attachment.sealed), _associated(attachment))


# --- checking what was given ---------------------------------------------------------------------


def _text(value: str, limit: int, code: str, what: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Refused(f"{code}_empty", f"{what} is empty.")
    if len(value) > limit:
        raise Refused(f"{code}_too_long", f"{what} is longer than {limit} characters.")
    return value


def _sniff_audio(data: bytes) -> str | None:
    """The audio type of a voice note by its first bytes: WebM (EBML), Ogg or MP4; else None."""
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "audio/webm"
    if data[:4] == b"OggS":
        return "audio/ogg"
    if data[4:8] == b"ftyp":
        return "audio/mp4"
    return None


def _image_type(data: bytes) -> str | None:
    """The content type of an image within the intake's limits, proved by decoding it; None when
    it is not an image at all; Refused when it is one too large or damaged."""
    limits = verification_services.intake_limits()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data))
            width, height = picture.size
            if width * height > limits.max_pixels:
                raise Refused(
                    "image_too_large",
                    f"The image is {width}×{height} = {width * height:,} pixels; the limit is {limits.max_pixels:,}.",
                )
            if picture.format not in IMAGE_TYPES:
                return None
            picture.load()
    except Refused:
        raise
    except UnidentifiedImageError:
        return None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused("image_too_large", "The image is too large to decode safely.") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise Refused("image_damaged", "The image is damaged or truncated.") from None
    return IMAGE_TYPES[picture.format]


def check_upload(upload: Upload) -> tuple[str, str]:
    """The kind and content type of an attachment, or Refused: not an image or a voice note, too
    big, too many pixels."""
    data = upload.data
    if not data:
        raise Refused("file_empty", f"The file {upload.name!r} is empty.")
    audio = _sniff_audio(data)
    if audio:
        if len(data) > MAX_AUDIO_BYTES:
            raise Refused(
                "audio_too_large", f"A voice note may be at most {MAX_AUDIO_BYTES // 1024 // 1024} MB."
            )
        return Attachment.Kind.AUDIO, audio
    limit = verification_services.intake_limits().max_bytes
    if len(data) > limit:
        raise Refused("image_too_large", f"A screenshot may be at most {limit // 1024 // 1024} MB.")
    image = _image_type(data)
    if image is None:
        raise Refused(
            "file_type",
            f"The file {upload.name!r} is neither an image (JPEG, PNG, WEBP) nor a voice note (WebM, Ogg, MP4).",
        )
    return Attachment.Kind.IMAGE, image


def _checked_uploads(uploads: Iterable[Upload]) -> list[tuple[Upload, str, str]]:
    uploads = list(uploads)
    if len(uploads) > MAX_FILES:
        raise Refused("too_many_files", f"At most {MAX_FILES} files may be attached to a message.")
    return [(upload, *check_upload(upload)) for upload in uploads]


def _associated(attachment: Attachment) -> bytes:
    return f"yanpiao support attachment {attachment.pk} of message {attachment.message_id}".encode()


def _attach(message: Message, checked: list[tuple[Upload, str, str]]) -> None:
    for upload, kind, content_type in checked:
        attachment = Attachment.objects.create(
            message=message, kind=kind, content_type=content_type, size=len(upload.data), sealed=b""
        )
        attachment.sealed = keys.fields_aead().encrypt(upload.data, _associated(attachment))
        attachment.save(update_fields=["sealed"])


def _message(ticket: Ticket, author, body: str, checked, internal: bool = False) -> Message:
    """Store one message with its checked attachments (inside the caller's transaction)."""
    if not body and not checked:
        raise Refused("body_empty", "The message is empty: write something or attach a file.")
    message = Message.objects.create(ticket=ticket, author=author, body=body, internal=internal)
    _attach(message, checked)
    return message


def _about(ticket: Ticket, **more) -> dict:
    return {"ticket": str(ticket.public_id), "category": ticket.category, "status": ticket.status, **more}


# --- the conversation ----------------------------------------------------------------------------


def open_ticket(
    user, category: str, subject: str, body: str, verification_id=None, uploads: Iterable[Upload] = ()
) -> Ticket:
    """A new ticket of ``user`` (signed in) with its first message; ``verification_id`` (a public
    id the user may see) links the check it is about."""
    if not visibility.signed_in(user):
        raise NotVisible("sign in to open a ticket")
    if category not in Category.values:
        raise Refused("category", "The category is question, complaint, bug or suggestion.")
    subject = _text(subject, SUBJECT_LENGTH, "subject", "The subject")
    body = _text(body, BODY_LENGTH, "body", "The message", required=False)
    checked = _checked_uploads(uploads)
    verification = None
    if verification_id:
        verification = visibility.verification_for(user, verification_id)
    now = timezone.now()
    with dbapi.serialized_writes(), transaction.atomic():
        ticket = Ticket.objects.create(
            owner=user,
            category=category,
            subject=subject,
            verification=verification,
            created_at=now,
            updated_at=now,
            due_at=sla.due_at(now),
        )
        message = _message(ticket, user, body, checked)
        audit.record(
            audit.Action.TICKET_OPEN,
            user,
            audit.target(ticket),
            _about(
                ticket,
                verification=str(verification.public_id) if verification else None,
                attachments=message.attachments.count(),
            ),
        )
    return ticket


def _owner_or_staff(ticket: Ticket, user) -> None:
    if not (visibility.is_staff(user) or (visibility.signed_in(user) and ticket.owner_id == user.pk)):
        raise NotVisible("no such ticket")


def _staff_only(user) -> None:
    if not visibility.is_staff(user):
        raise NotVisible("no such ticket")


def _locked(ticket: Ticket) -> Ticket:
    fresh = Ticket.objects.select_for_update().get(pk=ticket.pk)
    for name in (
        "status",
        "assignee_id",
        "first_response_at",
        "closed_at",
        "updated_at",
        "overdue_notified_at",
    ):
        setattr(ticket, name, getattr(fresh, name))
    return ticket


def reply(ticket: Ticket, user, body: str, uploads: Iterable[Upload] = ()) -> Message:
    """A message of the owner or staff on an open or answered ticket; see the module docstring."""
    _owner_or_staff(ticket, user)
    body = _text(body, BODY_LENGTH, "body", "The message", required=False)
    staff = visibility.is_staff(user) and ticket.owner_id != user.pk
    checked = _checked_uploads(uploads)
    now = timezone.now()
    with dbapi.serialized_writes(), transaction.atomic():
        _locked(ticket)
        if ticket.status == Status.CLOSED:
            raise Refused("closed", "The ticket is closed: reopen it first.")
        message = _message(ticket, user, body, checked)
        fields = ["status", "updated_at"]
        if staff:
            ticket.status = Status.ANSWERED
            if ticket.first_response_at is None:
                ticket.first_response_at = now
                fields.append("first_response_at")
        else:
            ticket.status = Status.OPEN
        ticket.updated_at = now
        ticket.save(update_fields=fields)
        audit.record(
            audit.Action.TICKET_REPLY,
            user,
            audit.target(ticket),
            _about(ticket, by="staff" if staff else "owner", attachments=message.attachments.count()),
        )
    return message


def add_note(ticket: Ticket, user, body: str) -> Message:
    """A staff-only note on the ticket (the owner never sees it)."""
    _staff_only(user)
    body = _text(body, BODY_LENGTH, "note", "The note")
    with dbapi.serialized_writes(), transaction.atomic():
        note = Message.objects.create(ticket=ticket, author=user, body=body, internal=True)
        audit.record(audit.Action.TICKET_NOTE, user, audit.target(ticket), _about(ticket))
    return note


def assign(ticket: Ticket, user, assignee) -> Ticket:
    """Give the ticket to an auditor or admin (None: to nobody)."""
    _staff_only(user)
    if assignee is not None and not (visibility.is_staff(assignee) and assignee.is_active):
        raise Refused("not_staff", "A ticket is assigned to an auditor or an admin.")
    with dbapi.serialized_writes(), transaction.atomic():
        _locked(ticket)
        ticket.assignee = assignee
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["assignee", "updated_at"])
        audit.record(
            audit.Action.TICKET_ASSIGN,
            user,
            audit.target(ticket),
            _about(ticket, assignee=assignee.pk if assignee else None),
        )
    return ticket


def close(ticket: Ticket, user) -> Ticket:
    """Close an open or answered ticket (its owner or staff)."""
    _owner_or_staff(ticket, user)
    now = timezone.now()
    with dbapi.serialized_writes(), transaction.atomic():
        _locked(ticket)
        if ticket.status == Status.CLOSED:
            raise Refused("closed", "The ticket is closed already.")
        ticket.status, ticket.closed_at, ticket.updated_at = Status.CLOSED, now, now
        ticket.save(update_fields=["status", "closed_at", "updated_at"])
        audit.record(audit.Action.TICKET_CLOSE, user, audit.target(ticket), _about(ticket))
    return ticket


def reopen(ticket: Ticket, user) -> Ticket:
    """Open a closed ticket again (its owner or staff)."""
    _owner_or_staff(ticket, user)
    with dbapi.serialized_writes(), transaction.atomic():
        _locked(ticket)
        if ticket.status != Status.CLOSED:
            raise Refused("not_closed", "Only a closed ticket can be reopened.")
        ticket.status, ticket.closed_at, ticket.updated_at = Status.OPEN, None, timezone.now()
        ticket.save(update_fields=["status", "closed_at", "updated_at"])
        audit.record(audit.Action.TICKET_REOPEN, user, audit.target(ticket), _about(ticket))
    return ticket


def rate(ticket: Ticket, user, scores: Mapping[str, int | None], comment: str = "") -> TicketRating:
    """The owner's rating of a closed ticket's service, once: 1–5 per aspect (at least one)."""
    if not (visibility.signed_in(user) and ticket.owner_id == user.pk):
        if visibility.is_staff(user):
            raise Refused("not_owner", "Only the ticket's owner rates it.")
        raise NotVisible("no such ticket")
    unknown = [name for name in scores if name not in ASPECTS]
    if unknown:
        raise Refused(
            "aspect", f"Unknown aspects: {', '.join(unknown)}; the aspects are {', '.join(ASPECTS)}."
        )
    given = {name: score for name, score in scores.items() if score is not None}
    if not given:
        raise Refused("no_score", "Rate at least one aspect, 1 to 5.")
    for score in given.values():
        if isinstance(score, bool) or not isinstance(score, int) or not LOWEST <= score <= HIGHEST:
            raise Refused("score", f"Each score is a whole number from {LOWEST} to {HIGHEST}.")
    comment = _text(comment, COMMENT_LENGTH, "comment", "The comment", required=False)
    with dbapi.serialized_writes(), transaction.atomic():
        _locked(ticket)
        if ticket.status != Status.CLOSED:
            raise Refused("not_closed", "A ticket is rated once it is closed.")
        if TicketRating.objects.filter(ticket=ticket).exists():
            raise Refused("rated", "This ticket has been rated already.")
        rating = TicketRating.objects.create(ticket=ticket, comment=comment, **given)
        audit.record(
            audit.Action.TICKET_RATE,
            user,
            audit.target(ticket),
            _about(ticket, **given, commented=bool(comment)),
        )
    return rating


def rating_of(ticket: Ticket) -> TicketRating | None:
    return TicketRating.objects.filter(ticket=ticket).first()


# --- canned answers ------------------------------------------------------------------------------


def canned_answers() -> QuerySet[CannedAnswer]:
    return CannedAnswer.objects.order_by("title", "pk")


def save_canned(user, title: str, body: str, canned: CannedAnswer | None = None) -> CannedAnswer:
    """Create a canned answer, or change ``canned`` (staff)."""
    _staff_only(user)
    title = _text(title, TITLE_LENGTH, "title", "The title")
    body = _text(body, BODY_LENGTH, "body", "The answer")
    with dbapi.serialized_writes(), transaction.atomic():
        if canned is None:
            canned = CannedAnswer.objects.create(title=title, body=body, created_by=user)
            change = "create"
        else:
            canned.title, canned.body = title, body
            canned.save(update_fields=["title", "body"])
            change = "update"
        audit.record(audit.Action.CANNED_ANSWER_CHANGE, user, audit.target(canned), {"change": change})
    return canned


def delete_canned(user, canned: CannedAnswer) -> None:
    _staff_only(user)
    with dbapi.serialized_writes(), transaction.atomic():
        target = audit.target(canned)
        canned.delete()
        audit.record(audit.Action.CANNED_ANSWER_CHANGE, user, target, {"change": "delete"})


__all__ = [
    "MAX_AUDIO_BYTES",
    "MAX_FILES",
    "NotVisible",
    "Refused",
    "Upload",
    "add_note",
    "assign",
    "attachment_for",
    "canned_answers",
    "check_upload",
    "close",
    "delete_canned",
    "messages_for",
    "open_ticket",
    "rate",
    "rating_of",
    "reopen",
    "reply",
    "save_canned",
    "ticket_for",
    "tickets_visible_to",
]
