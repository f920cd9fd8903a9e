"""The verification service: look an invoice up, compare, and record the check in the history.

``verify(query, actor, channel)`` is the one path every channel takes (web form, CLI, API,
uploads, batches), so every channel gives the same outcome for the same input and every
check is in the history.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from yanpiao import dbapi
from yanpiao.access.masking import mask_invoice_field
from yanpiao.alerts import services as alerts
from yanpiao.fapiao import compare as comparison
from yanpiao.fapiao import validation
from yanpiao.fapiao.compare import Difference, Query
from yanpiao.fapiao.findings import ERROR, Finding, has_errors
from yanpiao.fapiao.invoice import Invoice, InvoiceKey, mask_of, to_json
from yanpiao.fapiao.types import NAMES
from yanpiao.intake import reader
from yanpiao.intake.candidate import Extraction
from yanpiao.intake.limits import Limits
from yanpiao.observability import metrics
from yanpiao.registry import lookup
from yanpiao.registry import services as registry
from yanpiao.risk import assessment as risk
from yanpiao.security import audit, qr_signature
from yanpiao.verification import throttling
from yanpiao.verification.models import Channel, Verification, new_public_id

DESCRIPTIONS = {
    comparison.AUTHENTIC: "查验一致 — the invoice matches a registered, valid invoice",
    comparison.TAMPERED: "内容不一致 — the key fields match, but other content differs from the registered invoice",
    comparison.MISMATCH: "不一致 — an invoice with this code and number exists, but a key field differs",
    comparison.NOT_FOUND: "查无此票 — no invoice with this code and number is registered",
    comparison.VOIDED: "已作废 — the invoice was voided by its issuer",
    comparison.RED_FLUSHED: "已红冲 — the invoice was reversed by a red-letter invoice",
    comparison.ABNORMAL: "异常 — the tax authority flagged this invoice as abnormal",
    comparison.INVALID: "输入有误 — the submitted fields are not well-formed",
}
PARTLY_REVERSED = "部分红冲 — part of the invoice was reversed by a red-letter invoice; the rest still stands"
FORGED = "内容不一致 — the QR code's signature does not match its fields: the payload was altered or forged"


def describe(outcome: str, status: str | None = None, signature: str | None = None) -> str:
    """The outcome for people; ``status`` is the registered invoice's, when known; ``signature``
    the QR payload's signature status, when one was read.

    >>> describe("red_flushed", "partially_red_flushed")[:4]
    '部分红冲'
    >>> describe("tampered", None, "invalid") == FORGED
    True
    """
    if outcome == comparison.RED_FLUSHED and status == "partially_red_flushed":
        return PARTLY_REVERSED
    if outcome == comparison.TAMPERED and signature == qr_signature.INVALID:
        return FORGED
    return DESCRIPTIONS.get(outcome, outcome)


@dataclass
class Result:
    """The answer to one verification, as every channel reports it."""

    verification_id: uuid.UUID
    outcome: str
    submitted: dict[str, str]
    checked_at: datetime.datetime
    channel: str
    differences: tuple[Difference, ...] = ()
    findings: list[Finding] = field(default_factory=list)
    invoice: Invoice | None = None
    status_history: list[dict] = field(default_factory=list)
    # A QR payload's signature: valid, invalid or absent; None when no QR code was read.
    signature: str | None = None
    risk: risk.Assessment = risk.NONE

    @property
    def description(self) -> str:
        return describe(self.outcome, self.invoice.status if self.invoice else None, self.signature)

    @property
    def is_authentic(self) -> bool:
        return self.outcome == comparison.AUTHENTIC

    def to_json(self, certificate_url: str | None = None) -> dict[str, Any]:
        """The answer every channel gives (:data:`ANSWER_FIELDS`); ``certificate_url`` is the
        channel's link to the certificate, when the verifier may fetch it."""
        return answer(
            verification_id=self.verification_id,
            outcome=self.outcome,
            description=self.description,
            checked_at=self.checked_at,
            channel=self.channel,
            differences=[d.field for d in self.differences],
            findings=[f.to_json() for f in self.findings],
            invoice=to_json(self.invoice) if self.invoice else None,
            status_history=self.status_history,
            certificate_url=certificate_url,
            signature=self.signature,
            risk=self.risk.to_json(),
        )


ANSWER_FIELDS = (
    "id", "outcome", "description", "checked_at", "channel", "differences", "findings", "invoice",
    "status_history", "certificate_url", "signature", "risk",
)  # fmt: skip


def answer(*, verification_id, checked_at: datetime.datetime, **fields) -> dict[str, Any]:
    """A verification answer in the one shape of every channel: ``id``; ``outcome`` and its
    ``description``; ``checked_at`` (ISO 8601 with offset, the site's time zone); the ``channel``;
    ``differences`` (field names only); ``findings``; ``invoice`` (None whenever the rules forbid
    revealing it); ``status_history``; ``certificate_url`` (None when the verifier cannot fetch one);
    ``signature`` (a QR payload's: ``valid``, ``invalid`` or ``absent``; None when no QR code was read);
    ``risk`` (``{"score", "level", "reasons"}``, :mod:`yanpiao.risk`)."""
    shaped = {
        "id": str(verification_id),
        "checked_at": timezone.localtime(checked_at).isoformat(),
        "signature": None,
        "risk": risk.NONE.to_json(),
        **fields,
    }
    return {name: shaped[name] for name in ANSWER_FIELDS}


SIGNATURE_INVALID = Finding(
    "qr.signature",
    "qr",
    ERROR,
    "the QR code carries a Yanpiao signature that does not match its key fields: "
    "the payload was altered, or not signed by this registry",
)


def blocks_verification(finding: Finding) -> bool:
    """An error about the document itself or its QR code: the input cannot be trusted at all."""
    return finding.severity == ERROR and finding.field in ("document", "qr")


@dataclass(frozen=True)
class Check:
    """A query made ready for the look-up: what the history keeps as submitted, the findings so far
    (the document's, then the query's), and the ``outcome`` already decided without a look-up
    (``tampered`` for a forged QR payload, ``invalid`` for an error in the query or about the
    document), or None: look the invoice up, and count the check against its daily limit."""

    submitted: dict
    findings: list[Finding]
    outcome: str | None


def prepare(
    query: Query,
    on: datetime.date,
    document_findings: Sequence[Finding] = (),
    document: dict | None = None,
    signature: str | None = None,
) -> Check:
    """Validate ``query`` as of the day ``on`` and decide what needs no look-up (see :func:`verify`)."""
    query_findings = validation.validate_query(query, on, settings.YANPIAO_MAX_INVOICE_AGE_YEARS)
    findings = [*document_findings, *query_findings]
    submitted = {**query.to_json(), "document": document} if document else query.to_json()
    if signature == qr_signature.INVALID:
        findings.append(SIGNATURE_INVALID)
        return Check(submitted, findings, comparison.TAMPERED)
    if has_errors(query_findings) or any(blocks_verification(f) for f in document_findings):
        return Check(submitted, findings, comparison.INVALID)
    return Check(submitted, findings, None)


def actor_pk(actor) -> int | None:
    """The id the history and the audit log file a check under: None for nobody or an anonymous user."""
    return actor.pk if actor is not None and actor.is_authenticated else None


def verify(
    query: Query,
    actor=None,
    channel: str = Channel.CLI,
    on: datetime.date | None = None,
    document_findings: Sequence[Finding] = (),
    document: dict | None = None,
    client: str | None = None,
    signature: str | None = None,
) -> Result:
    """Verify the query against the registry and record the check.

    ``client`` is the address the check came from; with ``actor`` it decides what the check is
    counted against (:mod:`~yanpiao.verification.throttling`), and :class:`TooManyChecks` is
    raised, with nothing recorded or shown, once a limit is reached.

    ``document_findings`` come from reading a document (test environment, QR CRC, 大写 vs
    小写 …) and travel with the result; those about the document itself or its QR code make
    the outcome ``invalid``.  ``document`` (format, digest) is kept with the submitted fields.

    ``signature`` is the status of the QR payload's signature (:mod:`~yanpiao.security.qr_signature`)
    when the key came from a QR code.  An ``invalid`` one makes the outcome ``tampered`` with the
    error finding ``qr.signature``, whatever else holds, and the registry is not asked: the key
    fields are known to be altered, and a look-up could only reveal someone's invoice to a forger.
    """
    on = on or timezone.localdate()
    check = prepare(query, on, document_findings, document, signature)
    registered, outcome, differences = None, check.outcome, ()
    if outcome is None:
        # Looked up before the check is counted, outside the write turn; a check refused below
        # never shows what was found.
        # The invoice's facts for the risk rules come with it: one statement.
        registered = lookup.find(InvoiceKey(query.code, query.number), also=risk.facts_with_invoice())
        if registered is None:
            outcome = comparison.NOT_FOUND
        else:
            # Without content, the key fields and status decide: nothing else is decrypted unless revealed.
            result = (
                comparison.compare(query, registered.invoice)
                if query.content
                else comparison.compare_keys(query, registered)
            )
            outcome, differences = result.outcome, result.differences
    verification_id, checked_at = new_public_id(), timezone.now()
    actor_id = actor_pk(actor)
    invoice_id = registered.id if registered else None
    db = connections[DEFAULT_DB_ALIAS]
    row = history_values(
        checked_at,
        [
            (
                verification_id,
                actor_id,
                channel,
                check.submitted,
                outcome,
                differences,
                check.findings,
                invoice_id,
                invoice_type(query, registered.type if registered else None, outcome),
            )
        ],
        db,
    )[0]
    event = risk_event(actor, client, channel, outcome, query, invoice_id, checked_at)
    # One short write transaction: the counting (a refused check rolls it back and is neither
    # counted nor recorded), the risk assessment (which counts what its rules count), the history
    # row and its audit entry; the alerts are raised once it has committed.
    with dbapi.serialized_writes(), transaction.atomic():
        throttling.count_check(actor, client)
        if check.outcome is None:
            throttling.count_invoice_check(query, actor, client)
        assessment = risk.assess(event, registered.also if registered else None)
        insert_history([(*row, assessment.score, _reasons_json(assessment, db))])
        if assessment.reasons and alerts.worth_alerting(assessment):
            # robust: an alert that fails to be raised is logged; the check stands and is answered
            transaction.on_commit(lambda: alerts.raise_for(event, assessment, verification_id), robust=True)
        audit.record(
            audit.Action.VERIFICATION_CREATE,
            actor_id,
            audit.target(Verification, verification_id),
            {"outcome": outcome, "channel": channel, "invoice_id": invoice_id},
        )
    metrics.verified(outcome, channel)
    revealed = registered.invoice if registered and outcome in comparison.REVEALING else None
    return Result(
        verification_id=verification_id,
        outcome=outcome,
        submitted=check.submitted,
        checked_at=checked_at,
        channel=channel,
        differences=differences,
        findings=check.findings,
        invoice=revealed,
        status_history=registry.status_history(invoice_id)
        if revealed and revealed.status != "normal"
        else [],
        signature=signature,
        risk=assessment,
    )


def risk_event(actor, client, channel, outcome, query: Query, invoice_id, at) -> risk.Event:
    """The check as the risk rules see it (:class:`yanpiao.risk.assessment.Event`)."""
    return risk.Event(
        actor_id=actor_pk(actor),
        organisation_index=organisation_index(actor),
        client=client,
        channel=channel,
        outcome=outcome,
        code=query.code,
        number=query.number,
        invoice_id=invoice_id,
        at=at,
    )


def organisation_index(actor) -> str:
    """The blind index of the verifier's organisation's tax ID, "" for none (or nobody)."""
    if actor is None or not actor.is_authenticated or not actor.organisation_id:
        return ""
    return actor.organisation.tax_id_index


@functools.cache
def _secret(name: str) -> bool:
    """Whether the submitted field ``name`` is declared personal data or a secret (asked per row
    of a batch: the names are few)."""
    return bool(mask_of(name))


def _at_rest(submitted: dict) -> dict:
    return {
        name: mask_invoice_field(name, value) if _secret(name) else value for name, value in submitted.items()
    }


def _finding_at_rest(finding: Finding) -> dict:
    """A finding as the history keeps it: about personal data or a secret, its message (which may
    quote the values, as a disagreement between two places of a document does) is withheld."""
    if not mask_of(finding.field):
        return finding.to_json()
    return {
        **finding.to_json(),
        "message": f"{finding.field}: {finding.rule} (details withheld: personal data)",
    }


def _difference_at_rest(difference: Difference) -> dict:
    return {
        "field": difference.field,
        "submitted": mask_invoice_field(difference.field, difference.submitted),
        "registered": mask_invoice_field(difference.field, difference.registered),
    }


HISTORY_COLUMNS = (
    "public_id", "actor_id", "channel", "created_at", "submitted", "outcome", "differences", "findings",
    "invoice_id", "invoice_type", "risk_score", "risk_reasons",
)  # fmt: skip


def invoice_type(query: Query, registered_type: str | None, outcome: str) -> str:
    """The type the history files the check under: as given or inferred from the code and number
    (``Query.type_code``); for a 数电票 typed without its type (31 and 32 look alike), the
    registered invoice's (``registered_type``), but only when the outcome reveals that invoice
    anyway.  A type that is no type code (an ``invalid`` check may carry anything) is filed as ""."""
    if query.type_code in NAMES:
        return query.type_code
    return registered_type if registered_type and outcome in comparison.REVEALING else ""


def history_values(created_at: datetime.datetime, checks: Iterable[tuple], db=None) -> list[tuple]:
    """History rows (:data:`HISTORY_COLUMNS` but the risk, which :func:`with_risk` adds) as the driver
    takes them, as the ORM would store them, each check made at ``created_at``.

    A check is ``(public_id, actor_id, channel, submitted, outcome, differences, findings,
    invoice_id, invoice_type)`` as the verification found it: the submitted fields, the
    differences and the findings are masked at rest here.  Called before the write transaction,
    so that the write turn holds only the insert.
    """
    db = db or connections[DEFAULT_DB_ALIAS]  # the proxy costs a look-up per attribute
    ops = db.ops
    native_uuid = db.features.has_native_uuid_field
    at = ops.adapt_datetimefield_value(created_at)
    dump = ops.adapt_json_value
    none = dump([], None)  # no differences, no findings: most checks of a batch
    return [
        (
            public_id if native_uuid else public_id.hex,
            actor_id,
            channel,
            at,
            dump(_at_rest(submitted), None),
            outcome,
            dump([_difference_at_rest(d) for d in differences], None) if differences else none,
            dump([_finding_at_rest(f) for f in findings], None) if findings else none,
            invoice_id,
            type_code,
        )
        for public_id, actor_id, channel, submitted, outcome, differences, findings, invoice_id, type_code in checks
    ]


HISTORY_SQL = (
    f"INSERT INTO {Verification._meta.db_table} ({', '.join(HISTORY_COLUMNS)})"  # nosec B608  # Verification's table and columns from _meta, %s placeholders
    f" VALUES ({', '.join(['%s'] * len(HISTORY_COLUMNS))})"
)


def with_risk(rows: Sequence[tuple], assessments: Sequence[risk.Assessment]) -> list[tuple]:
    """Rows of :func:`history_values` completed with each check's risk (score and reasons)."""
    return [
        (*row, assessment.score, _reasons_json(assessment))
        for row, assessment in zip(rows, assessments, strict=True)
    ]


def _reasons_json(assessment: risk.Assessment, db=None):
    """An assessment's reasons as the history's column takes them (most checks have none)."""
    db = db or connections[DEFAULT_DB_ALIAS]
    if not assessment.reasons:
        none = _NO_REASONS.get(db.vendor)
        if none is None:
            none = _NO_REASONS[db.vendor] = db.ops.adapt_json_value([], None)
        return none
    return db.ops.adapt_json_value([reason.to_json() for reason in assessment.reasons], None)


_NO_REASONS: dict[str, Any] = {}  # the empty reasons as the driver takes them, by vendor


def insert_history(rows: Sequence[tuple]) -> None:
    """Insert rows of :func:`history_values` without the ORM's per-row cost (the hot path): one
    statement, or one ``executemany`` for many."""
    cursor = dbapi.cursor()
    try:
        if len(rows) == 1:
            cursor.execute(dbapi.sql(HISTORY_SQL), rows[0])
        else:
            cursor.executemany(dbapi.sql(HISTORY_SQL), rows)
    finally:
        cursor.close()


# --- documents -------------------------------------------------------------------------------


@dataclass
class DocumentResult:
    """What one document gave: what was read from it, and a verification per invoice in it."""

    extraction: Extraction
    results: list[Result]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.extraction.format,
            "findings": [f.to_json() for f in self.extraction.findings],
            "results": [
                {**result.to_json(), "extracted": candidate.to_json()}
                for candidate, result in zip(self.extraction.candidates, self.results, strict=True)
            ],
        }


# Documents one request may upload (the web's upload page, the API's /verifications/files).
MAX_DOCUMENTS_PER_UPLOAD = 10


def intake_limits() -> Limits:
    """The limits against hostile files and the budget of work of one read, as configured
    (``YANPIAO_INTAKE_LIMITS``: fields of ``Limits`` by name), the other fields at their defaults."""
    return Limits.from_mapping(getattr(settings, "YANPIAO_INTAKE_LIMITS", None) or {})


def verify_document(
    data: bytes,
    actor=None,
    channel: str | None = None,
    limits: Limits | None = None,
    client: str | None = None,
) -> DocumentResult:
    """Read every invoice in the document and verify each; raises RefusedDocument with the reason.

    A bare QR payload is recorded on the ``qr`` channel, any other document on ``upload``.  Where
    an invoice's QR code was read, its signature is checked (``valid``, ``invalid``, ``absent``)
    and kept with the submitted fields as ``submitted["document"]["signature"]``.
    """
    # OCR-read content is not compared (Candidate.content): no OCR where the QR code is readable.
    extraction = reader.extract(data, limits or intake_limits(), ocr_content=False)
    channel = channel or (Channel.QR if extraction.format == "qr" else Channel.UPLOAD)
    document = {"format": extraction.format, "sha256": hashlib.sha256(data).hexdigest()}
    results = []
    for candidate in extraction.candidates:
        findings = [*extraction.findings, *candidate.findings]
        signature = qr_signature.check(candidate.qr_text) if candidate.qr_text else None
        if not candidate.has_key:
            findings.append(
                Finding(
                    "document.key_unreadable", "document", ERROR, "the invoice's key fields could not be read"
                )
            )
        results.append(
            verify(
                candidate.query(),
                actor,
                channel,
                document_findings=findings,
                document={**document, "signature": signature} if signature else document,
                client=client,
                signature=signature,
            )
        )
    return DocumentResult(extraction, results)
