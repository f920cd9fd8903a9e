"""Reading the history: what a viewer's filter selects, one page of it, one verification.

Every query starts from ``access.visibility.verifications_visible_to(viewer)``; the rows carry
what ``access.disclosure.verification_answer`` reads (the actor, the registered invoice with its
parties, lines and status changes), loaded with the page in a fixed number of queries, never one
per row.
"""

from __future__ import annotations

from django.db.models import QuerySet, prefetch_related_objects

from yanpiao.access.visibility import verification_for, verifications_visible_to
from yanpiao.history import paging
from yanpiao.history.filters import HistoryFilter
from yanpiao.verification.models import Verification

# What verification_answer reads of each row, loaded with the page.
RELATED = ("actor", "invoice__seller", "invoice__buyer", "invoice__red_letter_of")
PREFETCHED = ("invoice__items", "invoice__status_changes")


class Operator:
    """The person at the server's console (``yanpiao history`` without ``--as``): sees every
    verification as an auditor does, personal data masked, and is written into the audit log
    without an account (actor none).  Whoever runs the command holds the data folder and the
    master key anyway; masking keeps an export from spreading personal data by accident."""

    pk = id = organisation_id = None
    is_authenticated = True
    is_anonymous = False
    has_staff_role = True
    is_admin = is_issuer = is_superuser = False

    def __str__(self):
        return "operator"


def selected(viewer, history_filter: HistoryFilter) -> QuerySet[Verification]:
    """The verifications ``viewer`` may see that the filter selects (unordered, nothing loaded)."""
    return history_filter.apply(verifications_visible_to(viewer))


def page(viewer, history_filter: HistoryFilter, cursor: str | None, limit: int = paging.DEFAULT_LIMIT):
    """One page of the viewer's history, newest first (:func:`yanpiao.history.paging.page`), its
    rows ready for ``verification_answer``: three queries whatever the page's length.  Raises
    ``paging.InvalidCursor``."""
    rows = selected(viewer, history_filter).select_related(*RELATED).prefetch_related(*PREFETCHED)
    return paging.page(rows, cursor, limit)


def verification(viewer, public_id) -> Verification:
    """One verification the viewer may see, ready for ``verification_answer``; raises NotVisible."""
    found = verification_for(viewer, public_id)
    prefetch_related_objects([found], *RELATED[1:], *PREFETCHED)
    return found
