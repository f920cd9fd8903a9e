"""Which objects a viewer may see: one function per kind of object, raising :class:`NotVisible`.

Every view, API endpoint and command fetches a user-facing object through these functions, so
"not yours" and "does not exist" look the same (the web and API adapters answer
:class:`NotVisible` with 404) and nothing tells an outsider which ids, invoices or
organisations exist.  Anonymous users see none of these.

- **verification** (:func:`verification_for`): its actor, members of the actor's organisation,
  auditors and admins.  A verification without an actor (anonymous) only auditors and admins.
- **registered invoice** (:func:`invoice_for`): auditors and admins; an *issuer* whose
  organisation's tax ID is the invoice's seller tax ID; any member of an organisation whose tax
  ID is the buyer's tax ID; a user with an ``authentic`` verification of the invoice in their own
  history or their organisation's.  Tax IDs are compared by their blind index
  (``Organisation.tax_id_index`` against ``Party.tax_id_index``), never in plaintext.
- **API token** (:func:`token_for`): its owner only.  Admins may fetch another user's token to
  revoke it (``to_revoke=True``), never to read it; the secret is never stored anyway.
- **organisation** (:func:`organisation_for`): its members, auditors and admins.
"""

from __future__ import annotations

import uuid

from django.db.models import Exists, OuterRef, Q, QuerySet

from yanpiao.accounts.models import ApiToken, Organisation
from yanpiao.alerts.models import Alert
from yanpiao.fapiao.compare import AUTHENTIC
from yanpiao.registry.models import Invoice
from yanpiao.verification.models import Verification


class NotVisible(Exception):
    """The object does not exist, or the viewer may not see it: the same answer for both."""


def signed_in(user) -> bool:
    return bool(user and user.is_authenticated)


def is_staff(user) -> bool:
    """An auditor or an admin, signed in."""
    return signed_in(user) and user.has_staff_role


# --- verifications -----------------------------------------------------------------------------


def verifications_visible_to(user) -> QuerySet[Verification]:
    if not signed_in(user):
        return Verification.objects.none()
    if user.has_staff_role:
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
    if not signed_in(user) or verification.actor_id is None:
        return False
    if verification.actor_id == user.pk:
        return True
    return bool(user.organisation_id) and verification.actor.organisation_id == user.organisation_id


def verification_for(user, public_id) -> Verification:
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        raise NotVisible("no such verification") from None
    verification = (
        verifications_visible_to(user).select_related("actor", "invoice").filter(public_id=public_id).first()
    )
    if verification is None:
        raise NotVisible("no such verification")
    return verification


# --- registered invoices -----------------------------------------------------------------------


def invoices_visible_to(user) -> QuerySet[Invoice]:
    if not signed_in(user):
        return Invoice.objects.none()
    if user.has_staff_role:
        return Invoice.objects.all()
    verified = Verification.objects.filter(_own_history(user), invoice=OuterRef("pk"), outcome=AUTHENTIC)
    visible = Q(Exists(verified))
    organisation_index = user.organisation.tax_id_index if user.organisation_id else ""
    if organisation_index:
        visible |= Q(buyer__tax_id_index=organisation_index)
        if user.is_issuer:
            visible |= Q(seller__tax_id_index=organisation_index)
    return Invoice.objects.filter(visible)


def may_issue(user) -> bool:
    """An issuer whose organisation has a tax ID: the one who may register its invoices."""
    return bool(
        signed_in(user) and user.is_issuer and user.organisation_id and user.organisation.tax_id_index
    )


def issued_by(user) -> QuerySet[Invoice]:
    """The invoices an issuer manages: those whose seller is the issuer's organisation."""
    if not may_issue(user):
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
        raise NotVisible("no such invoice")
    return invoice


# --- API tokens --------------------------------------------------------------------------------


def token_for(user, token_id, *, to_revoke: bool = False) -> ApiToken:
    """The user's own token; with ``to_revoke``, an admin may also fetch anyone's."""
    if not signed_in(user):
        raise NotVisible("no such token")
    tokens = ApiToken.objects.select_related("user")
    if not (to_revoke and user.is_admin):
        tokens = tokens.filter(user=user)
    try:
        return tokens.get(pk=int(token_id))
    except (ApiToken.DoesNotExist, TypeError, ValueError):
        raise NotVisible("no such token") from None


# --- organisations -----------------------------------------------------------------------------


def organisation_for(user, organisation_id) -> Organisation:
    if not signed_in(user):
        raise NotVisible("no such organisation")
    try:
        organisation_id = int(organisation_id)
    except (TypeError, ValueError):
        raise NotVisible("no such organisation") from None
    if not user.has_staff_role and user.organisation_id != organisation_id:
        raise NotVisible("no such organisation")
    try:
        return Organisation.objects.get(pk=organisation_id)
    except Organisation.DoesNotExist:
        raise NotVisible("no such organisation") from None


# --- alerts --------------------------------------------------------------------------------------


def alerts_visible_to(user) -> QuerySet[Alert]:
    """Auditors and admins see every alert; nobody else learns that one exists."""
    if not is_staff(user):
        return Alert.objects.none()
    return Alert.objects.all()


def alert_visible_to(user, public_id) -> Alert:
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        raise NotVisible("no such alert") from None
    alert = alerts_visible_to(user).select_related("assignee").filter(public_id=public_id).first()
    if alert is None:
        raise NotVisible("no such alert")
    return alert
