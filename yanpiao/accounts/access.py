"""Who may see what: one helper per resource, answering 404 to anyone who may not see it.

Every view, API endpoint and command fetches a user-facing object through these helpers, so
"not yours" and "does not exist" look the same (django.http.Http404) and nothing tells an
outsider which ids, invoices or organisations exist.

Rules of visibility (anonymous users see none of these):

- **verification** (:func:`verification_for`): its actor, members of the actor's
  organisation, auditors and admins.  A verification without an actor (anonymous) only
  auditors and admins.
- **registered invoice** (:func:`invoice_for`): auditors and admins; an *issuer* whose
  organisation's tax ID is the invoice's seller tax ID; any member of an organisation whose
  tax ID is the buyer's tax ID; a user with an ``authentic`` verification of the invoice in
  their own history or their organisation's.  Tax IDs are compared by their blind index
  (``Organisation.tax_id_index`` against ``Party.tax_id_index``), never in plaintext.
- **API token** (:func:`token_for`): its owner only.  Admins may fetch another user's token
  to revoke it (``to_revoke=True``), never to read it; the secret is never stored anyway.
- **organisation** (:func:`organisation_for`): its members, auditors and admins.

Auditors see everything above with personal data masked (:func:`mask`) until they reveal a
field with :func:`reveal`, which requires a reason and writes an audit event.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from yanpiao.accounts.models import STAFF_ROLES, ApiToken, Organisation, Role, User
from yanpiao.fapiao.compare import AUTHENTIC
from yanpiao.registry.models import Invoice, Party
from yanpiao.verification.models import Verification

# --- roles -------------------------------------------------------------------------------------


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and (user.role == Role.ADMIN or user.is_superuser))


def is_auditor(user) -> bool:
    return bool(user and user.is_authenticated and user.role == Role.AUDITOR)


def is_issuer(user) -> bool:
    return bool(user and user.is_authenticated and user.role == Role.ISSUER)


def has_staff_role(user) -> bool:
    """An auditor or an admin: sees every verification, invoice and organisation."""
    return bool(user and user.is_authenticated and (user.role in STAFF_ROLES or user.is_superuser))


# --- verifications -----------------------------------------------------------------------------


def verifications_visible_to(user) -> QuerySet[Verification]:
    if not (user and user.is_authenticated):
        return Verification.objects.none()
    if has_staff_role(user):
        return Verification.objects.all()
    return Verification.objects.filter(_own_history(user))


def _own_history(user) -> Q:
    """The user's verifications and their organisation's."""
    history = Q(actor=user)
    if user.organisation_id:
        history |= Q(actor__organisation_id=user.organisation_id)
    return history


def in_own_history(user, verification: Verification) -> bool:
    """Whether the verification is the user's or a colleague's (not seen through a staff role)."""
    if not (user and user.is_authenticated) or verification.actor_id is None:
        return False
    if verification.actor_id == user.pk:
        return True
    return bool(user.organisation_id) and verification.actor.organisation_id == user.organisation_id


def verification_for(user, public_id) -> Verification:
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404("no such verification") from None
    verification = (
        verifications_visible_to(user).select_related("actor", "invoice").filter(public_id=public_id).first()
    )
    if verification is None:
        raise Http404("no such verification")
    return verification


# --- registered invoices -----------------------------------------------------------------------


def invoices_visible_to(user) -> QuerySet[Invoice]:
    if not (user and user.is_authenticated):
        return Invoice.objects.none()
    if has_staff_role(user):
        return Invoice.objects.all()
    verified = Verification.objects.filter(_own_history(user), invoice=OuterRef("pk"), outcome=AUTHENTIC)
    visible = Q(Exists(verified))
    organisation_index = user.organisation.tax_id_index if user.organisation_id else ""
    if organisation_index:
        visible |= Q(buyer__tax_id_index=organisation_index)
        if is_issuer(user):
            visible |= Q(seller__tax_id_index=organisation_index)
    return Invoice.objects.filter(visible)


def issued_by(user) -> QuerySet[Invoice]:
    """The invoices an issuer manages: those whose seller is the issuer's organisation."""
    if not is_issuer(user) or not user.organisation_id or not user.organisation.tax_id_index:
        return Invoice.objects.none()
    return Invoice.objects.filter(seller__tax_id_index=user.organisation.tax_id_index)


def invoice_for(user, code: str, number: str) -> Invoice:
    """A registered invoice by its code ("" for a 数电票) and number."""
    invoice = (
        invoices_visible_to(user)
        .select_related("seller", "buyer", "red_letter_of")
        .filter(code=(code or "").strip(), number=(number or "").strip())
        .first()
    )
    if invoice is None:
        raise Http404("no such invoice")
    return invoice


# --- API tokens --------------------------------------------------------------------------------


def token_for(user, token_id, *, to_revoke: bool = False) -> ApiToken:
    """The user's own token; with ``to_revoke``, an admin may also fetch anyone's."""
    if not (user and user.is_authenticated):
        raise Http404("no such token")
    tokens = ApiToken.objects.select_related("user")
    if not (to_revoke and is_admin(user)):
        tokens = tokens.filter(user=user)
    try:
        return tokens.get(pk=int(token_id))
    except (ApiToken.DoesNotExist, TypeError, ValueError):
        raise Http404("no such token") from None


# --- organisations -----------------------------------------------------------------------------


def organisation_for(user, organisation_id) -> Organisation:
    if not (user and user.is_authenticated):
        raise Http404("no such organisation")
    try:
        organisation_id = int(organisation_id)
    except (TypeError, ValueError):
        raise Http404("no such organisation") from None
    if not has_staff_role(user) and user.organisation_id != organisation_id:
        raise Http404("no such organisation")
    try:
        return Organisation.objects.get(pk=organisation_id)
    except Organisation.DoesNotExist:
        raise Http404("no such organisation") from None


# --- personal data: masked by default, revealed on purpose -------------------------------------


def mask(value: str | None, kind: str) -> str:
    """``value`` with most of it hidden, for display to those who may not read it in full.

    >>> mask("zhang.san@example.com", "email"), mask("13800138000", "phone")
    ('z***@example.com', '138****8000')
    >>> mask("91110108MA01ABCD2H", "tax_id"), mask("张三", "name")
    ('9111**********CD2H', '张*')
    >>> mask("北京市海淀区中关村大街1号", "address"), mask("0200000000000001234", "account")
    ('北京市海淀区***', '***************1234')
    """
    value = (value or "").strip()
    if not value:
        return ""
    if kind == "email":
        local, at, domain = value.partition("@")
        return f"{local[:1]}***{at}{domain}"
    if kind == "phone":
        return _keep_ends(value, 3, 4) if len(value) >= 8 else _keep_ends(value, 0, 2)
    if kind == "tax_id":
        return _keep_ends(value, 4, 4) if len(value) > 8 else _keep_ends(value, 2, 0)
    if kind == "name":
        return value[:1] + "*" * (len(value) - 1)
    if kind == "address":
        return value[:6] + "***"
    if kind == "account":
        return _keep_ends(value, 0, 4) if len(value) > 4 else "*" * len(value)
    raise ValueError(f"unknown kind of personal data: {kind!r}")


def _keep_ends(value: str, head: int, tail: int) -> str:
    hidden = max(len(value) - head - tail, 1)
    return value[:head] + "*" * hidden + (value[-tail:] if tail else "")


# What may be revealed, per model, and how each field is masked until then.
REVEALABLE = {
    User: {"email": "email", "phone": "phone", "display_name": "name"},
    Organisation: {"name": "name", "tax_id": "tax_id"},
    Party: {
        "name": "name",
        "tax_id": "tax_id",
        "address": "address",
        "phone": "phone",
        "bank": "name",
        "account": "account",
    },
}


def masked(obj, field: str) -> str:
    """The field of ``obj`` as shown before a reveal."""
    return mask(getattr(obj, field), _kind(obj, field))


def _kind(obj, field: str) -> str:
    kinds = REVEALABLE.get(type(obj), {})
    if field not in kinds:
        raise ValueError(f"{type(obj).__name__}.{field} is not personal data that can be revealed")
    return kinds[field]


def reveal(user, obj, field: str, reason: str) -> str:
    """The plaintext of a personal-data field, for an auditor or admin who gives a reason.

    Every reveal is written to the audit log before the value is returned.
    """
    if not has_staff_role(user):
        raise PermissionDenied("only auditors and admins may reveal personal data")
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a reveal needs a reason")
    _kind(obj, field)
    from yanpiao.security import audit

    audit.record(
        audit.Action.PERSONAL_DATA_REVEALED,
        actor=user,
        target=f"{obj._meta.label_lower}:{obj.pk}",
        detail={"field": field, "reason": reason},
    )
    return getattr(obj, field)
