"""Findings: what structural validation says about an invoice or a query.

A finding names the rule that fired, the field it concerns, its severity and a message
for people.  Only ``error`` findings make a query ``invalid``; warnings travel with the
result.

>>> f = Finding("number.length", "number", ERROR, "发票号码 must have 8 or 20 digits")
>>> f.to_json()["rule"]
'number.length'
>>> has_errors([f]), has_errors([Finding("code.scheme", "code", WARNING, "unknown region")])
(True, False)
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    rule: str
    field: str
    severity: str
    message: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.severity}: {self.field}: {self.message} [{self.rule}]"


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == ERROR]
