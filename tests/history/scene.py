"""A small history shared by the history and API tests: who checked what, with which outcome.

A company with two members (the actor and a colleague), an outsider and an auditor; three
registered invoices from two sellers; the actor's checks cover every kind of outcome, on
several channels, and the outsider checks one invoice too.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from tests import factories
from tests.factories import key_query
from yanpiao.accounts import organisations
from yanpiao.accounts.models import Role
from yanpiao.fapiao.invoice import Invoice, InvoiceKey, Party
from yanpiao.registry import services as registry
from yanpiao.verification.models import Channel
from yanpiao.verification.services import verify

OTHER_SELLER = Party(name="深圳南山电子有限公司", tax_id=factories.tax_id(777), address="深圳市南山区科技园")


@dataclass
class Scene:
    actor: object
    colleague: object
    outsider: object
    auditor: object
    digital: Invoice  # 数电票 of SELLER, checked authentic (api)
    special: Invoice  # 专票 of OTHER_SELLER, checked with a wrong amount: mismatch (web)
    voided: Invoice  # 数电票 of OTHER_SELLER, voided, checked: voided (cli)
    ids: dict[str, str] = field(default_factory=dict)  # name of the check → its public id

    def everyone(self) -> set[str]:
        return set(self.ids.values())

    def the_actors(self) -> set[str]:
        return {public_id for name, public_id in self.ids.items() if name != "outsider"}


def build(register, make_user) -> Scene:
    company = organisations.create_organisation("示例公司", factories.tax_id(31))
    actor = make_user(organisation=company, display_name="赵敏")
    colleague = make_user(organisation=company, display_name="钱进")
    outsider, auditor = make_user(display_name="孙立"), make_user(Role.AUDITOR)
    digital = register(type="32")
    special = register(type="01", seller=OTHER_SELLER)
    voided = register(
        type="32",
        seller=OTHER_SELLER,
        items=(factories.item("1000.00"),),
        issue_date=datetime.date(2025, 4, 1),
    )
    registry.void(InvoiceKey(voided.code, voided.number), "开错了")
    scene = Scene(actor, colleague, outsider, auditor, digital, special, voided)
    checks = {
        "authentic": (key_query(digital), actor, Channel.API),
        "mismatch": (key_query(special, amount="1.00"), actor, Channel.WEB),
        "voided": (key_query(voided), colleague, Channel.CLI),
        "not_found": (key_query(factories.invoice(type="04")), actor, Channel.QR),
        "invalid": (key_query(factories.invoice(type="32"), number="=HYPERLINK(1)"), actor, Channel.API),
        "outsider": (key_query(digital), outsider, Channel.API),
    }
    for name, (query, who, channel) in checks.items():
        scene.ids[name] = str(verify(query, actor=who, channel=channel).verification_id)
    return scene
