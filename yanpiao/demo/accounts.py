"""Demo accounts beside the demo registry: an admin, an auditor, issuers, taxpayers.

Deterministic for a seed, like the demo invoices.  Every demo account has the password
:data:`DEMO_PASSWORD` (a development convenience: ``make run`` prints it); issuers belong to
an organisation whose tax ID is that of one of the registry's busiest sellers.  Accounts and
organisations are created through the accounts' services, like any other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from yanpiao.accounts import organisations
from yanpiao.accounts import services as account_services
from yanpiao.accounts.models import Role, User
from yanpiao.registry import services as registry

DEMO_PASSWORD = "yanpiao-demo-2026"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚"
PINYIN = ["wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou"]
MOBILE_PREFIXES = ("135", "136", "138", "139", "150", "152", "158", "186", "187", "189")


@dataclass(frozen=True)
class DemoAccount:
    email: str
    phone: str
    role: str
    display_name: str


def accounts(count: int, seed: int) -> list[DemoAccount]:
    """The demo accounts: admin and auditor first, then up to three issuers, then taxpayers."""
    rng = random.Random(seed)
    people = [
        DemoAccount("admin@yanpiao.demo", "", Role.ADMIN, "管理员"),
        DemoAccount("auditor@yanpiao.demo", "", Role.AUDITOR, "审计员"),
    ]
    for index in range(max(0, count - len(people))):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        email = f"{rng.choice(PINYIN)}.{index + 1}@example.cn" if index % 2 == 0 else ""
        role = Role.ISSUER if index < 3 else Role.TAXPAYER
        people.append(DemoAccount(email, phone, role, name))
    return people[:count]


def create_users(count: int, seed: int = 1) -> list[User]:
    """Create the demo accounts that do not exist yet; issuers get their seller's organisation."""
    sellers = iter(registry.busiest_sellers(3))
    created = []
    for account in accounts(count, seed):
        if User.objects.find_by_login(account.email or account.phone):
            continue
        organisation = None
        if account.role == Role.ISSUER:
            seller = next(sellers, None)
            if seller is not None:
                organisation = organisations.create_organisation(seller.name, seller.tax_id)
        user = account_services.create_account(
            email=account.email,
            phone=account.phone,
            password=DEMO_PASSWORD,
            role=account.role,
            display_name=account.display_name,
            organisation=organisation,
        )
        created.append(user)
    return created
