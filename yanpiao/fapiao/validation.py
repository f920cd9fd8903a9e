"""Structural validation: what is wrong with a query or an invoice, as findings.

:func:`validate_query` checks what a verifier typed (or read from a QR code) before any
lookup; :func:`validate_invoice` checks a whole invoice being registered or imported.
Neither raises for bad data: every problem becomes a :class:`~yanpiao.fapiao.findings.Finding`
naming the field, and only ``error`` findings make the input invalid.  Codes outside the
known scheme, old invoices and inconsistent hints are warnings.

Decision: an amount or total of zero is an error, since no invoice is issued for 0.00;
negative values are allowed (red-letter invoices).

>>> import datetime
>>> from yanpiao.fapiao.compare import Query
>>> q = Query.from_fields(number="26427000000375586818", issue_date="2026-04-30", total="10.70")
>>> validate_query(q, today=datetime.date(2026, 5, 1))
[]
>>> q = Query.from_fields(code="1100174320", number="4018441", issue_date="2018-05-12")
>>> for f in validate_query(q, today=datetime.date(2019, 1, 1)):
...     print(f)
error: number: 发票号码 (invoice number) must have 8 digits, or 20 for a 数电票; got 7 [number.length]
error: check_code: enter at least one of amount, check code or total: for 增值税普通发票 the platform asks for the 校验码 (last 6 digits of the check code) [key.missing]
"""

from __future__ import annotations

import datetime

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError

from yanpiao.fapiao import amount_words, arithmetic, check_code, code, number, types, uscc
from yanpiao.fapiao.compare import Query
from yanpiao.fapiao.findings import ERROR, WARNING, Finding
from yanpiao.fapiao.invoice import (
    STATUSES,
    Invoice,
    InvoiceFormatError,
    InvoiceKey,
    NoSuchDay,
    Party,
    parse_date,
    parse_decimal,
)

RED_LETTER_REMARK = "被红冲蓝字数电发票号码："
NO_CHECK_CODE = frozenset({types.SPECIAL_VAT, *types.DIGITAL})
LABELS = {
    "amount": "金额 (amount excl. tax)",
    "check_code": "校验码 (last 6 digits of the check code)",
    "total": "价税合计 (total incl. tax)",
}


def _error(rule: str, field: str, message: str) -> Finding:
    return Finding(rule, field, ERROR, message)


def _warning(rule: str, field: str, message: str) -> Finding:
    return Finding(rule, field, WARNING, message)


def _kind(exc: ValidationError) -> str:
    """The rule suffix for a stdnum exception."""
    if isinstance(exc, InvalidLength):
        return "length"
    if isinstance(exc, InvalidChecksum):
        return "checksum"
    if isinstance(exc, InvalidComponent):
        return "component"
    return "format"


def _type_label(type_code: str) -> str:
    return f"type {type_code} ({types.NAMES[type_code]})" if type_code in types.NAMES else f"type {type_code}"


# --- shared field rules ----------------------------------------------------------------------


def _number(value: str) -> list[Finding]:
    if not value:
        return [_error("number.required", "number", "发票号码 (invoice number) is required")]
    try:
        number.validate(value)
    except ValidationError as exc:
        return [_error(f"number.{_kind(exc)}", "number", str(exc))]
    return []


def _code(value: str, today: datetime.date) -> list[Finding]:
    try:
        code.validate(value)
    except ValidationError as exc:
        return [_error(f"code.{_kind(exc)}", "code", str(exc))]
    return [_warning("code.scheme", "code", message) for message in code.scheme_warnings(value, today=today)]


def _implied_kind(value: str) -> str | None:
    return code.parse(value).kind if code.is_valid(value) else None


def _future(day: datetime.date, today: datetime.date) -> list[Finding]:
    if day > today:
        return [
            _error(
                "issue_date.future",
                "issue_date",
                f"开票日期 (issue date) {day} is in the future (today is {today})",
            )
        ]
    return []


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _tax_id(party: Party, role: str) -> list[Finding]:
    field = f"{role}.tax_id"
    label = "销售方 (seller)" if role == "seller" else "购买方 (buyer)"
    try:
        uscc.validate_tax_id(party.tax_id)
    except ValidationError as exc:
        return [_error(f"tax_id.{_kind(exc)}", field, f"{label}: {exc}")]
    return []


# --- queries -----------------------------------------------------------------------------


def validate_query(query: Query, today: datetime.date, max_age_years: int = 5) -> list[Finding]:
    """Findings about the key fields a verifier submitted."""
    num = number.compact(query.number)
    given_code = code.compact(query.code)
    digital = number.is_digital(num)
    findings = _number(num)
    if digital and given_code:
        findings.append(
            _error(
                "code.unexpected",
                "code",
                "a 数电票 (20-digit 发票号码) has no 发票代码 (invoice code); leave it empty",
            )
        )
    elif not digital and not given_code:
        findings.append(
            _error(
                "code.required",
                "code",
                "发票代码 (invoice code) is required; only 数电票, with a 20-digit 发票号码, have none",
            )
        )
    elif given_code:
        findings += _code(given_code, today)
    findings += _query_date(query.issue_date, today, max_age_years)
    findings += _query_type(query.type, given_code, num, digital)
    type_code = query.type if query.type in types.NAMES else code.infer_type(given_code, num)
    findings += _query_key_fields(query, type_code, digital, given_code)
    return findings


def _query_date(value: str, today: datetime.date, max_age_years: int) -> list[Finding]:
    if not value:
        return [_error("issue_date.required", "issue_date", "开票日期 (issue date) is required")]
    try:
        day = parse_date(value)
    except NoSuchDay as exc:
        return [_error("issue_date.no_such_day", "issue_date", f"开票日期 (issue date): {exc.message}")]
    except InvoiceFormatError:
        return [
            _error(
                "issue_date.format",
                "issue_date",
                f"开票日期 (issue date) must be YYYY-MM-DD or YYYYMMDD, got {value!r}",
            )
        ]
    if day < _years_before(today, max_age_years):
        return [
            _warning(
                "issue_date.too_old",
                "issue_date",
                f"开票日期 (issue date) {day} is more than {max_age_years} years ago; "
                f"the national platform only verifies invoices up to {max_age_years} years old",
            )
        ]
    return _future(day, today)


def _query_type(type_code: str, given_code: str, num: str, digital: bool) -> list[Finding]:
    if not type_code:
        return []
    if type_code not in types.NAMES:
        known = ", ".join(f"{k} {v}" for k, v in types.NAMES.items())
        return [
            _error(
                "type.unknown",
                "type",
                f"type {type_code!r} is not a known invoice type code (known: {known})",
            )
        ]
    if digital and type_code not in types.DIGITAL:
        return [
            _error(
                "type.inconsistent",
                "type",
                f"a 20-digit 发票号码 belongs to a 数电票 (type 31 or 32), not {_type_label(type_code)}",
            )
        ]
    if type_code in types.DIGITAL and number.is_valid(num) and len(num) == 8:
        return [
            _error(
                "type.inconsistent",
                "type",
                f"{_type_label(type_code)} has a 20-digit 发票号码 and no 发票代码, but an 8-digit number was given",
            )
        ]
    kind = _implied_kind(given_code)
    if kind and kind != type_code:
        return [
            _warning(
                "type.code_mismatch",
                "type",
                f"发票代码 {given_code} implies {_type_label(kind)}, not {_type_label(type_code)}",
            )
        ]
    return []


def _query_key_fields(query: Query, type_code: str, digital: bool, given_code: str) -> list[Finding]:
    findings = []
    for name in ("amount", "total"):
        value = getattr(query, name)
        if not value:
            continue
        try:
            amount = parse_decimal(value, name)
        except InvoiceFormatError:
            findings.append(
                _error(
                    f"{name}.format",
                    name,
                    f"{LABELS[name]} must be a number with at most 2 decimal places, got {value!r}",
                )
            )
            continue
        if amount == 0:
            findings.append(
                _error(
                    f"{name}.zero", name, f"{LABELS[name]} must not be zero: no invoice is issued for 0.00"
                )
            )
    if query.check_code:
        findings += _query_check_code(query.check_code, type_code, digital, given_code)
    if not (query.amount or query.check_code or query.total):
        asked = "total" if digital else types.key_amount_field(type_code) if type_code else ""
        hint = (
            f": for {types.NAMES.get(type_code, '数电票')} the platform asks for the {LABELS[asked]}"
            if asked
            else ""
        )
        findings.append(
            _error(
                "key.missing",
                asked or "amount",
                f"enter at least one of amount, check code or total{hint}",
            )
        )
    return findings


def _query_check_code(value: str, type_code: str, digital: bool, given_code: str) -> list[Finding]:
    try:
        compact = check_code.validate_query(value)
    except ValidationError as exc:
        return [_error(f"check_code.{_kind(exc)}", "check_code", str(exc))]
    if digital or type_code in NO_CHECK_CODE:
        what = "a 数电票" if digital else _type_label(type_code)
        asked = "total" if digital or types.is_digital(type_code) else "amount"
        return [
            _error(
                "check_code.not_printed",
                "check_code",
                f"{what} prints no 校验码 (check code); enter the {LABELS[asked]} instead",
            )
        ]
    if (
        len(compact) == check_code.BLOCKCHAIN_LENGTH
        and code.is_valid(given_code)
        and not code.parse(given_code).is_blockchain
    ):
        return [
            _error(
                "check_code.length",
                "check_code",
                "a 5-character 校验码 is only printed on blockchain invoices; enter the last 6 digits or all 20",
            )
        ]
    return []


# --- invoices ----------------------------------------------------------------------------


def validate_invoice(invoice: Invoice, today: datetime.date) -> list[Finding]:
    """Findings about a whole invoice being registered or imported."""
    findings = []
    type_code = invoice.type
    known = type_code in types.NAMES
    if not known:
        findings.append(
            _error("type.unknown", "type", f"type {type_code!r} is not a known invoice type code")
        )
    findings += _invoice_identifiers(invoice, today)
    findings += _future(invoice.issue_date, today)
    findings += _parties(invoice)
    if known:
        findings += _invoice_check_code(invoice)
    findings += arithmetic.check(invoice)
    if invoice.total_in_words and not amount_words.words_match(invoice.total_in_words, invoice.total):
        try:
            expected = f"; expected {amount_words.to_words(invoice.total)!r}"
        except ValueError:
            expected = ""
        findings.append(
            _error(
                "amount_words.mismatch",
                "total_in_words",
                f"价税合计（大写） {invoice.total_in_words!r} does not state the total {invoice.total}{expected}",
            )
        )
    if invoice.red_letter_of is not None:
        findings += _red_letter(invoice, invoice.red_letter_of)
    else:
        findings += _normal_sign(invoice)
    if invoice.status not in STATUSES:
        findings.append(
            _error(
                "status.unknown", "status", f"status {invoice.status!r} is not one of {', '.join(STATUSES)}"
            )
        )
    return findings


def _invoice_identifiers(invoice: Invoice, today: datetime.date) -> list[Finding]:
    findings = []
    digital = types.is_digital(invoice.type)
    if digital and invoice.code:
        findings.append(
            _error(
                "code.unexpected",
                "code",
                f"{_type_label(invoice.type)} has no 发票代码 (invoice code); it must be empty",
            )
        )
    elif not digital and not invoice.code:
        findings.append(
            _error(
                "code.required",
                "code",
                f"发票代码 (invoice code) is required for {_type_label(invoice.type)}",
            )
        )
    elif invoice.code:
        findings += _code(invoice.code, today)
        kind = _implied_kind(invoice.code)
        if kind and invoice.type in types.NAMES and kind != invoice.type:
            findings.append(
                _warning(
                    "code.kind_mismatch",
                    "code",
                    f"发票代码 {invoice.code} implies {_type_label(kind)}, not {_type_label(invoice.type)}",
                )
            )
    number_findings = _number(invoice.number)
    findings += number_findings
    if not number_findings and invoice.type in types.NAMES:
        expected = number.DIGITAL_LENGTH if digital else 8
        if len(number.compact(invoice.number)) != expected:
            findings.append(
                _error(
                    "number.length",
                    "number",
                    f"{_type_label(invoice.type)} has a {expected}-digit 发票号码 (invoice number), "
                    f"got {len(invoice.number)} digits",
                )
            )
    return findings


def _parties(invoice: Invoice) -> list[Finding]:
    findings = []
    if not invoice.seller.name:
        findings.append(_error("seller.name.required", "seller.name", "销售方 (seller) name is required"))
    if not invoice.seller.tax_id:
        findings.append(
            _error("tax_id.required", "seller.tax_id", "销售方 (seller) 纳税人识别号 (tax ID) is required")
        )
    else:
        findings += _tax_id(invoice.seller, "seller")
    if invoice.buyer.tax_id:
        findings += _tax_id(invoice.buyer, "buyer")
    return findings


def _invoice_check_code(invoice: Invoice) -> list[Finding]:
    label = _type_label(invoice.type)
    if invoice.type in types.WITH_CHECK_CODE:
        if not invoice.check_code:
            return [
                _error(
                    "check_code.required",
                    "check_code",
                    f"{label} prints a 20-digit 校验码 (check code); it is required",
                )
            ]
        try:
            check_code.validate_full(invoice.check_code)
        except ValidationError as exc:
            return [_error(f"check_code.{_kind(exc)}", "check_code", str(exc))]
    elif invoice.check_code:
        return [
            _error(
                "check_code.unexpected",
                "check_code",
                f"{label} prints no 校验码 (check code); it must be empty",
            )
        ]
    return []


def _normal_sign(invoice: Invoice) -> list[Finding]:
    findings = []
    for name, label in (("amount", "金额 (amount)"), ("total", "价税合计 (total)")):
        value = getattr(invoice, name)
        if value < 0:
            findings.append(
                _error(
                    f"{name}.negative",
                    name,
                    f"{label} {value} is negative, but only red-letter invoices (red_letter_of set) are negative",
                )
            )
    if invoice.total == 0:
        findings.append(
            _error("total.zero", "total", "价税合计 (total) must not be zero: no invoice is issued for 0.00")
        )
    return findings


def _red_letter(invoice: Invoice, original: InvoiceKey) -> list[Finding]:
    findings = []
    for name, label in (("amount", "金额 (amount)"), ("total", "价税合计 (total)")):
        value = getattr(invoice, name)
        if value >= 0:
            findings.append(
                _error(
                    "red_letter.sign",
                    name,
                    f"a red-letter invoice (红字发票) reverses another, so its {label} must be negative, got {value}",
                )
            )
    if not number.is_valid(original.number):
        findings.append(
            _error(
                "red_letter.original",
                "red_letter_of.number",
                f"red_letter_of.number must be the 8- or 20-digit 发票号码 of the reversed invoice, got {original.number!r}",
            )
        )
    elif original == invoice.key:
        findings.append(
            _error("red_letter.original", "red_letter_of", "a red-letter invoice cannot reverse itself")
        )
    if types.is_digital(invoice.type) and not invoice.remarks.startswith(RED_LETTER_REMARK + original.number):
        findings.append(
            _warning(
                "red_letter.remark",
                "remarks",
                f"the 备注 (remarks) of a red-letter 数电票 usually start with {RED_LETTER_REMARK}{original.number}",
            )
        )
    return findings


__all__ = ["validate_invoice", "validate_query"]
