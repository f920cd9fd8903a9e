"""What a viewer sees of an object they may see: in full, masked, or revealed on purpose.

The rules:

- A verification shows its submitted fields and findings to whoever may see it; the values of
  its differences only to the actor and the actor's colleagues (``in_own_history``), not to
  staff who see it through their role.  The registered invoice is linked only after an outcome
  whose key fields matched (:data:`yanpiao.fapiao.compare.REVEALING`): a ``mismatch`` or
  ``not_found`` reveals nothing of it.
- A registered invoice shows its parties in full to those who see it through their own
  business (issuer, buyer, authentic verification); auditors and admins, who see every
  invoice through their role, see personal data masked until they reveal a field.
- An organisation shows its name and tax ID in full to its members, masked to staff; a
  member's contact data only to that member.
- :func:`reveal` gives an auditor or admin one personal-data field in full, for a stated
  reason, and writes that to the audit log before returning it.

Masks come from :func:`yanpiao.access.masking.mask`; what kind of personal data a registry
party's field is comes from the invoice's declaration (:mod:`yanpiao.fapiao.invoice`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models as django_models

from yanpiao.access.masking import mask, mask_invoice_json
from yanpiao.access.visibility import NotVisible, in_own_history, is_staff
from yanpiao.accounts import organisations
from yanpiao.accounts.models import Organisation, User
from yanpiao.fapiao import invoice as fapiao
from yanpiao.fapiao.compare import REVEALING
from yanpiao.registry import models as registry_models
from yanpiao.registry import services as registry
from yanpiao.registry.convert import invoice_from_row
from yanpiao.risk.assessment import stored as stored_risk
from yanpiao.security import audit
from yanpiao.verification.models import Verification
from yanpiao.verification.services import answer, describe

HIDDEN = "***"

# What may be revealed, per model, and how each field is masked until then.
REVEALABLE: dict[type[django_models.Model], dict[str, str]] = {
    User: {"email": "email", "phone": "phone", "display_name": "name"},
    Organisation: {"name": "name", "tax_id": "tax_id"},
    registry_models.Party: {spec.name: spec.mask for spec in fapiao.specs(fapiao.Party) if spec.mask},
}


def masked(obj: django_models.Model, field: str) -> str:
    """The field of ``obj`` as shown before a reveal."""
    return mask(getattr(obj, field), _kind(type(obj), field))


def _kind(model: type, field: str) -> str:
    kinds = REVEALABLE.get(model, {})
    if field not in kinds:
        raise ValueError(f"{model.__name__}.{field} is not personal data that can be revealed")
    return kinds[field]


def user_label(viewer, user: User | None) -> str:
    """A user as another user sees them: themselves in full, anyone else masked."""
    if user is None:
        return "—"
    if user.pk == viewer.pk:
        return str(user)
    return masked(user, "display_name") or masked(user, "email") or masked(user, "phone")


# --- verifications -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VerificationView:
    verification: Verification
    description: str
    actor: str
    submitted: list[tuple[str, Any]]
    differences: list[dict[str, Any]]
    invoice: registry_models.Invoice | None  # the registered invoice, when the outcome reveals it


def revealed_invoice(verification: Verification) -> registry_models.Invoice | None:
    """The registered invoice a verification may lead to: only once the key fields matched."""
    return verification.invoice if verification.outcome in REVEALING else None


def verification_view(viewer, verification: Verification) -> VerificationView:
    in_full = in_own_history(viewer, verification)
    differences = [
        difference if in_full else {"field": difference["field"], "submitted": HIDDEN, "registered": HIDDEN}
        for difference in verification.differences
    ]
    return VerificationView(
        verification=verification,
        description=describe(
            verification.outcome, verification.invoice.status if verification.invoice else None
        ),
        actor=user_label(viewer, verification.actor),
        submitted=sorted(verification.submitted.items()),
        differences=differences,
        invoice=revealed_invoice(verification),
    )


def verification_answer(viewer, verification: Verification, certificate_url: str | None = None) -> dict:
    """A stored verification in the answer shape of every channel (``services.answer``), as
    ``viewer`` may see it: the invoice only when the outcome revealed it, its parties masked for
    staff who see it through their role, as :func:`invoice_view` shows them."""
    row = revealed_invoice(verification)
    document = verification.submitted.get("document") if isinstance(verification.submitted, dict) else None
    signature = document.get("signature") if isinstance(document, dict) else None
    invoice = None
    if row is not None:
        invoice = fapiao.to_json(invoice_from_row(row, row.items.all()))
        if is_staff(viewer) and not in_own_history(viewer, verification):
            invoice = mask_invoice_json(invoice)
    return answer(
        verification_id=verification.public_id,
        outcome=verification.outcome,
        description=describe(verification.outcome, row.status if row else None, signature),
        checked_at=verification.created_at,
        channel=verification.channel,
        differences=[difference["field"] for difference in verification.differences],
        findings=verification.findings,
        invoice=invoice,
        status_history=registry.status_history(row.pk, row.status_changes.all())
        if row is not None and row.status != "normal"
        else [],
        certificate_url=certificate_url,
        signature=signature,
        risk=stored_risk(verification.risk_score, verification.risk_reasons).to_json(),
    )


# --- registered invoices -----------------------------------------------------------------------


@dataclass(frozen=True)
class PartyView:
    target: str  # for a reveal
    fields: list[tuple[str, str]]


@dataclass(frozen=True)
class InvoiceView:
    invoice: registry_models.Invoice
    seller: PartyView
    buyer: PartyView
    items: list[registry_models.Item]
    status_history: list[dict]
    can_reveal: bool


def invoice_view(viewer, invoice: registry_models.Invoice) -> InvoiceView:
    # Auditors and admins see it through their role alone: personal data masked until revealed.
    in_full = not is_staff(viewer)

    def party(row: registry_models.Party) -> PartyView:
        return PartyView(
            audit.target(row),
            [
                (spec.name, getattr(row, spec.name) if in_full else masked(row, spec.name))
                for spec in fapiao.specs(fapiao.Party)
            ],
        )

    return InvoiceView(
        invoice=invoice,
        seller=party(invoice.seller),
        buyer=party(invoice.buyer),
        items=list(invoice.items.all()),
        status_history=registry.status_history(invoice.pk),
        can_reveal=not in_full,
    )


# --- organisations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberView:
    label: str
    email: str
    phone: str
    role: str
    target: str


@dataclass(frozen=True)
class OrganisationView:
    organisation: Organisation
    name: str
    tax_id: str
    members: list[MemberView]
    can_reveal: bool
    target: str


def organisation_view(viewer, organisation: Organisation) -> OrganisationView:
    in_full = viewer.organisation_id == organisation.pk

    def member(user: User) -> MemberView:
        itself = user.pk == viewer.pk
        return MemberView(
            label=user_label(viewer, user),
            email=user.email if itself else masked(user, "email"),
            phone=user.phone if itself else masked(user, "phone"),
            role=user.get_role_display(),
            target=audit.target(user),
        )

    return OrganisationView(
        organisation=organisation,
        name=organisation.name if in_full else masked(organisation, "name"),
        tax_id=organisation.tax_id if in_full else masked(organisation, "tax_id"),
        members=[member(user) for user in organisations.members_of(organisation)],
        can_reveal=is_staff(viewer),
        target=audit.target(organisation),
    )


# --- revealing personal data -------------------------------------------------------------------


def reveal(viewer, target: str, field: str, reason: str) -> str:
    """The plaintext of a personal-data field of the record ``target`` (``app.model:id``), for an
    auditor or admin who gives a reason; the reveal is audited before the value is returned.

    Raises :class:`NotVisible` for anyone else and for a record that does not exist, and
    ``ValueError`` for a field that is not revealable personal data or an empty reason.
    """
    if not is_staff(viewer):
        raise NotVisible("no such record")
    obj = _record(target)
    _kind(type(obj), field)
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a reveal needs a reason")
    audit.record(
        audit.Action.ACCESS_REVEAL,
        actor=viewer,
        target=audit.target(obj),
        detail={"field": field, "reason": reason},
    )
    return getattr(obj, field)


def _record(target: str) -> django_models.Model:
    label, _, pk = (target or "").partition(":")
    model = next((m for m in REVEALABLE if m._meta.label_lower == label), None)
    if model is None or not pk.isdigit():
        raise NotVisible("no such record")
    try:
        return model.objects.get(pk=int(pk))
    except model.DoesNotExist:
        raise NotVisible("no such record") from None
