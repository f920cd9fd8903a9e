"""The suggestion board: users and staff propose improvements, vote and comment; staff set a
suggestion's status and award points to the author of an accepted one; a leaderboard sums them.

**Who.**  Every signed-in user proposes, votes (once per suggestion) and comments; only auditors
and admins set a status (:class:`NotAllowed` for anyone else) and award points, and only to a
suggestion that is *accepted* (planned or done), never their own.

**Votes.**  A :class:`~yanpiao.support.models.Vote` row and the suggestion's ``votes`` counter
change in one transaction: the row's unique constraint refuses a second vote of the same user
(:func:`vote` is then a no-op), and the counter moves by an atomic ``F()`` update, so two
concurrent votes count two.

**Audit.**  A proposal (``suggestion.create``), a status (``suggestion.status``) and an award
(``suggestion.award``) are audited in their transaction; what people wrote (titles, bodies,
comments) stays out of the log, and comments are encrypted at rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from yanpiao import dbapi
from yanpiao.access.disclosure import user_label
from yanpiao.access.visibility import NotVisible, is_staff
from yanpiao.accounts.models import User
from yanpiao.security import audit
from yanpiao.support.models import Comment, PointsAward, Suggestion, Vote

Status = Suggestion.Status
ACCEPTED = (Status.PLANNED, Status.DONE)
TITLE_LENGTH = Suggestion._meta.get_field("title").max_length  # 120
BODY_LENGTH = Suggestion._meta.get_field("body").max_length  # 4000
COMMENT_LENGTH = 2000
MAX_POINTS = 1000  # in one award
LEADERBOARD_SIZE = 50
# How the board may be sorted: the order of each.
SORTS = {"votes": ("-votes", "-created_at", "-id"), "newest": ("-created_at", "-id")}
DEFAULT_SORT = "votes"
# Refusals of what was given (as opposed to of the suggestion as it is now).
INPUT_REFUSALS = (
    "title_empty",
    "title_too_long",
    "body_empty",
    "body_too_long",
    "comment_empty",
    "comment_too_long",
    "unknown_status",
    "points_invalid",
)


class NotAllowed(PermissionDenied):
    """Only auditors and admins set a status or award points; only signed-in users take part."""


class Refused(ValueError):
    """What was given does not do, or the step does not apply (``code`` says which rule)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- who -----------------------------------------------------------------------------------------


def _require_member(user) -> None:
    if not (user and user.is_authenticated and user.is_active):
        raise NotAllowed("sign in to take part in the suggestion board")


def _require_staff(user) -> None:
    if not (is_staff(user) and user.is_active):
        raise NotAllowed("only auditors and admins set a suggestion's status or award points")


# Control characters (NUL among them, which PostgreSQL cannot store), but tabs and line breaks.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: str, limit: int, name: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Refused(f"{name}_empty", f"the {name} is empty")
    if _CONTROL.search(value):
        raise Refused(f"{name}_control", f"the {name} holds control characters")
    if len(value) > limit:
        raise Refused(f"{name}_too_long", f"the {name} is at most {limit} characters")
    return value


# --- reading -------------------------------------------------------------------------------------


def find(public_id) -> Suggestion:
    """The suggestion of ``public_id``; :class:`NotVisible` (a 404) when there is none."""
    found = Suggestion.objects.select_related("author").filter(public_id=public_id).first()
    if found is None:
        raise NotVisible("no such suggestion")
    return found


def check_filters(status: str = "", sort: str = "") -> dict[str, str]:
    """What is wrong with the board's filter and sort, by name (empty when nothing)."""
    problems = {}
    if status and status not in Status.values:
        problems["status"] = f"one of {', '.join(Status.values)}"
    if sort and sort not in SORTS:
        problems["sort"] = f"one of {', '.join(SORTS)}"
    return problems


def listing(status: str = "", sort: str = DEFAULT_SORT) -> QuerySet[Suggestion]:
    """The board: every suggestion (of ``status``, when given), most voted or newest first."""
    found = Suggestion.objects.select_related("author")
    if status:
        found = found.filter(status=status)
    return found.order_by(*SORTS.get(sort or DEFAULT_SORT, SORTS[DEFAULT_SORT]))


def voted_by(user, suggestions) -> set[int]:
    """The ids of those of ``suggestions`` that ``user`` voted for."""
    if not (user and user.is_authenticated):
        return set()
    ids = [suggestion.pk for suggestion in suggestions]
    return set(Vote.objects.filter(user=user, suggestion_id__in=ids).values_list("suggestion_id", flat=True))


def has_voted(user, suggestion: Suggestion) -> bool:
    return suggestion.pk in voted_by(user, [suggestion])


def comments_of(suggestion: Suggestion) -> list[Comment]:
    return list(suggestion.comments.select_related("author").order_by("created_at", "id"))


def points_awarded(suggestion: Suggestion) -> int:
    return suggestion.awards.aggregate(total=Coalesce(Sum("points"), Value(0)))["total"]


def points_of(user) -> int:
    """All the points ``user`` was awarded."""
    return PointsAward.objects.filter(user=user).aggregate(total=Coalesce(Sum("points"), Value(0)))["total"]


# --- taking part ---------------------------------------------------------------------------------


def propose(user, title: str, body: str) -> Suggestion:
    """A new suggestion on the board, by ``user`` (signed in)."""
    _require_member(user)
    title = _text(title, TITLE_LENGTH, "title")
    body = _text(body, BODY_LENGTH, "body")
    with dbapi.serialized_writes(), transaction.atomic():
        suggestion = Suggestion.objects.create(author=user, title=title, body=body)
        audit.record(
            audit.Action.SUGGESTION_CREATE,
            user,
            audit.target(suggestion),
            {"suggestion": str(suggestion.public_id)},
        )
    return suggestion


def vote(suggestion: Suggestion, user) -> bool:
    """``user`` votes for the suggestion; False when they had voted already (nothing changes)."""
    _require_member(user)
    with dbapi.serialized_writes(), transaction.atomic():
        try:
            with transaction.atomic():
                Vote.objects.create(suggestion=suggestion, user=user)
        except IntegrityError:  # the unique constraint: one vote per user
            return False
        Suggestion.objects.filter(pk=suggestion.pk).update(votes=F("votes") + 1)
    suggestion.refresh_from_db(fields=["votes"])
    return True


def unvote(suggestion: Suggestion, user) -> bool:
    """``user`` takes their vote back; False when there was none."""
    _require_member(user)
    with dbapi.serialized_writes(), transaction.atomic():
        removed, _ = Vote.objects.filter(suggestion=suggestion, user=user).delete()
        if removed:
            Suggestion.objects.filter(pk=suggestion.pk).update(votes=F("votes") - 1)
    suggestion.refresh_from_db(fields=["votes"])
    return bool(removed)


def comment(suggestion: Suggestion, user, body: str) -> Comment:
    """A comment on the suggestion, kept encrypted."""
    _require_member(user)
    body = _text(body, COMMENT_LENGTH, "comment")
    with dbapi.serialized_writes(), transaction.atomic():
        return Comment.objects.create(suggestion=suggestion, author=user, body=body)


# --- staff ---------------------------------------------------------------------------------------


def set_status(suggestion: Suggestion, user, status: str) -> Suggestion:
    """Staff move the suggestion to ``status`` (under review, planned, done, declined, or back to new)."""
    _require_staff(user)
    if status not in Status.values:
        raise Refused("unknown_status", f"the status is one of {', '.join(Status.values)}")
    with dbapi.serialized_writes(), transaction.atomic():
        current = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        previous = current.status
        current.status = status
        current.save(update_fields=["status"])
        audit.record(
            audit.Action.SUGGESTION_STATUS,
            user,
            audit.target(current),
            {"suggestion": str(current.public_id), "from": previous, "to": status},
        )
    suggestion.refresh_from_db()
    return suggestion


def award(suggestion: Suggestion, user, points: int) -> PointsAward:
    """Staff award ``points`` (1 to :data:`MAX_POINTS`) to the author of an accepted suggestion."""
    _require_staff(user)
    if isinstance(points, bool) or not isinstance(points, int) or not 0 < points <= MAX_POINTS:
        raise Refused("points_invalid", f"award between 1 and {MAX_POINTS} points")
    with dbapi.serialized_writes(), transaction.atomic():
        current = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        if current.status not in ACCEPTED:
            raise Refused("not_accepted", "points go only to a suggestion that is planned or done")
        if current.author_id is None:
            raise Refused("no_author", "the suggestion's author no longer has an account")
        if current.author_id == user.pk:
            raise Refused("own_suggestion", "staff do not award points to their own suggestion")
        awarded = PointsAward.objects.create(
            user_id=current.author_id, suggestion=current, points=points, awarded_by=user
        )
        audit.record(
            audit.Action.SUGGESTION_AWARD,
            user,
            audit.target(current),
            {"suggestion": str(current.public_id), "user": current.author_id, "points": points},
        )
    return awarded


# --- the leaderboard -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    rank: int
    user_id: int
    name: str  # as the viewer may see the user (masked, unless it is the viewer)
    points: int
    suggestions: int


def leaderboard(viewer, limit: int = LEADERBOARD_SIZE) -> list[Standing]:
    """Everyone who proposed a suggestion or was awarded points, by their total points (then by
    the number of their suggestions); names as ``viewer`` may see them."""
    points = (
        PointsAward.objects.filter(user=OuterRef("pk"))
        .values("user")
        .annotate(total=Sum("points"))
        .values("total")
    )
    proposed = (
        Suggestion.objects.filter(author=OuterRef("pk"))
        .values("author")
        .annotate(count=Count("id"))
        .values("count")
    )
    authors = Suggestion.objects.filter(author__isnull=False).values("author")
    awarded = PointsAward.objects.values("user")
    users = (
        User.objects.filter(Q(pk__in=authors) | Q(pk__in=awarded))
        .annotate(
            points=Coalesce(Subquery(points), Value(0)),
            proposed=Coalesce(Subquery(proposed), Value(0)),
        )
        .order_by("-points", "-proposed", "pk")[:limit]
    )
    return [
        Standing(rank, user.pk, user_label(viewer, user), user.points, user.proposed)
        for rank, user in enumerate(users, start=1)
    ]
