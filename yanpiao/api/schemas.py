"""The shapes the API answers with, declared once for validation and for the OpenAPI schema."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from ninja import Schema


class FindingOut(Schema):
    field: str
    rule: str
    severity: str
    message: str


class StatusChangeOut(Schema):
    status: str
    previous_status: str
    reason: str
    changed_at: str


class RiskReasonOut(Schema):
    code: str  # one of the rules' codes, or "model"
    message: str


class RiskOut(Schema):
    """A verification's risk assessment (``yanpiao.risk``): a score of 0–100, its level, and why."""

    score: int
    level: str  # low, medium or high
    reasons: list[RiskReasonOut]


class VerificationAnswer(Schema):
    """One verification, in the shape every channel gives (``verification.services.answer``)."""

    id: uuid.UUID
    outcome: str
    description: str
    checked_at: datetime.datetime
    channel: str
    differences: list[str]
    findings: list[FindingOut]
    invoice: dict[str, Any] | None
    status_history: list[StatusChangeOut]
    certificate_url: str | None
    signature: str | None = None  # a QR payload's: valid, invalid or absent; None for typed fields
    risk: RiskOut


class DocumentAnswer(Schema):
    """What one uploaded file gave: its format and findings, and a verification per invoice in it."""

    name: str
    format: str | None
    findings: list[FindingOut]
    results: list[VerificationAnswer]
    error: dict[str, str] | None = None  # {"code", "message"} when the file was refused


class FilesAnswer(Schema):
    documents: list[DocumentAnswer]
