"""Factories for test data: valid invoices of every type, built from a few choices.

>>> invoice(type="32").code
''
"""

import datetime
import itertools
from decimal import Decimal

from yanpiao.fapiao import amount_words, arithmetic, uscc
from yanpiao.fapiao.invoice import Invoice, InvoiceKey, Item, Party

_serial = itertools.count(1)

SELLER = Party(
    name="北京京华数据科技有限公司",
    tax_id="91110302MA01NP925M",
    address="北京市海淀区中关村大街1号",
    phone="010-62000000",
    bank="中国工商银行北京海淀支行",
    account="0200000000000000000",
)
BUYER = Party(name="上海申联贸易有限公司", tax_id="913101150934986600")


def tax_id(serial: int) -> str:
    """A valid USCC that differs with ``serial``."""
    org = f"{serial:08d}"
    first17 = "91110108" + org + uscc.calc_org_check_digit(org)
    return first17 + uscc.calc_check_digit(first17)


def key(type: str, serial: int) -> tuple[str, str]:
    if type in ("31", "32"):
        return "", f"2611200{serial:013d}"
    if type in ("01", "04"):
        kind = "1" if type == "01" else "3"
        copies = "3" if type == "01" else "2"
        return f"1100241{kind}{copies}0", f"{serial % 10**8:08d}"
    kind = {"10": "11", "11": "06", "14": "12", "20": "13"}[type]
    return f"0110024001{kind}", f"{serial % 10**8:08d}"


def item(amount: str = "100.00", rate: str = "0.06", name: str = "*信息技术服务*软件服务费") -> Item:
    value = Decimal(amount)
    return Item(
        name=name,
        amount=value,
        tax_rate=rate,
        tax=arithmetic.line_tax(value, Decimal(rate)),
        tax_category_code="3040201000000000000",
        unit="次",
        quantity=Decimal(1),
        unit_price=value,
    )


def invoice(
    type: str = "32", items: tuple[Item, ...] | None = None, serial: int | None = None, **fields
) -> Invoice:
    """A valid, normal invoice of ``type``; ``fields`` override anything (then it may be invalid)."""
    serial = next(_serial) if serial is None else serial
    code, number = key(type, serial)
    items = items if items is not None else (item("100.00"), item("57.50", "0.13", "*计算机配套产品*鼠标"))
    amount = sum((i.amount for i in items), Decimal("0.00"))
    tax = sum((i.tax for i in items), Decimal("0.00"))
    total = amount + tax
    data = {
        "type": type,
        "code": code,
        "number": number,
        "issue_date": datetime.date(2025, 3, 7),
        "check_code": f"{serial:020d}"[-20:] if type in ("04", "10", "11", "14", "20") else "",
        "machine_no": "" if type in ("31", "32") else "661620025119",
        "seller": SELLER,
        "buyer": BUYER,
        "items": items,
        "amount": amount,
        "tax": tax,
        "total": total,
        "total_in_words": amount_words.to_words(total),
        "drawer": "王芳",
    }
    data.update(fields)
    return Invoice(**data)


def red_letter(original: Invoice, share: Decimal = Decimal(1), serial: int | None = None) -> Invoice:
    """A red-letter invoice reversing ``share`` of the original's lines."""
    items = []
    for line in original.items:
        amount = -(line.amount * share).quantize(Decimal("0.01"))
        items.append(
            Item(
                name=line.name,
                amount=amount,
                tax_rate=line.tax_rate,
                tax=arithmetic.line_tax(amount, line.rate),
                tax_category_code=line.tax_category_code,
            )
        )
    serial = next(_serial) if serial is None else serial
    remarks = f"被红冲蓝字数电发票号码：{original.number}" if original.type in ("31", "32") else ""
    return invoice(
        original.type,
        items=tuple(items),
        serial=serial,
        red_letter_of=InvoiceKey(original.code, original.number),
        remarks=remarks,
        buyer=original.buyer,
        issue_date=original.issue_date,
    )


def key_query(invoice: Invoice, **overrides):
    """The query a verifier would type for ``invoice``: the amount field the platform asks for its type."""
    from yanpiao.fapiao.compare import Query
    from yanpiao.fapiao.invoice import format_amount
    from yanpiao.fapiao.types import key_amount_field

    field = key_amount_field(invoice.type)
    value = invoice.check_code[-6:] if field == "check_code" else format_amount(getattr(invoice, field))
    fields = {"code": invoice.code, "number": invoice.number, "issue_date": invoice.issue_date.isoformat()}
    fields[field] = value
    fields.update(overrides)
    return Query.from_fields(**fields)


PASSWORD = "correct horse battery"


def confirmed_user(email=None, phone=None, password=PASSWORD, **extra):
    """A user whose e-mail address and phone number (those given) are confirmed: able to log in."""
    from django.utils import timezone

    from yanpiao.accounts.models import User

    now = timezone.now()
    if email:
        extra["email_confirmed_at"] = now
    if phone:
        extra["phone_confirmed_at"] = now
    return User.objects.create_user(email, password, phone=phone, **extra)
