"""The home page: the typed verify form, the verify link, the result card; and /healthz."""

import contextlib
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests import factories
from tests.factories import key_query
from yanpiao.fapiao.invoice import InvoiceKey
from yanpiao.registry import services as registry
from yanpiao.verification.models import Channel, Verification

pytestmark = pytest.mark.django_db

SECRETS = ("amount", "check_code", "total")
# The secret field the national platform asks for, by invoice type.
SECRET_OF = {"01": "amount", "20": "amount", "04": "check_code", "10": "check_code", "11": "check_code",
             "14": "check_code", "31": "total", "32": "total"}  # fmt: skip
INTERNAL = ("issue_date", "not_found", "authentic", "0.06", "0.13", "check_code", "seller.", "normal")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.skipping = [], False

    def handle_starttag(self, tag, attrs):
        self.skipping = tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skipping = False

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """What a reader sees of the page: its text, without tags and attributes."""
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def typed(invoice, **overrides) -> dict:
    """The form fields a verifier types for ``invoice`` (empty ones left out)."""
    return {name: value for name, value in key_query(invoice, **overrides).to_json().items() if value}


def test_home_shows_the_registry_the_form_and_the_other_ways_to_verify(client, register):
    register(type="32")
    html = client.get("/").content.decode()
    assert '<strong id="invoice-count">1</strong>' in html
    assert 'name="number"' in html and 'type="date"' in html and "自动识别" in html
    assert all(f'data-field-name="{name}"' in html for name in SECRETS)  # the type is not known yet
    assert (
        "专票请输入不含税金额" in html and "普票请输入校验码后6位" in html and "数电票请输入价税合计" in html
    )
    for name in ("web:scan", "web:upload"):
        with contextlib.suppress(NoReverseMatch):  # a page not built (yet) is not offered
            assert f'href="{reverse(name)}"' in html


@pytest.mark.parametrize("type_code", sorted(SECRET_OF))
@pytest.mark.parametrize("chosen", [True, False], ids=["chosen", "inferred"])
def test_each_type_is_asked_only_for_its_secret_field(client, type_code, chosen):
    invoice = factories.invoice(type=type_code)
    fields = {"code": invoice.code, "number": invoice.number, "issue_date": "2025-03-07"}
    page = client.post("/", {**fields, "type": type_code} if chosen else fields)
    html = page.content.decode()
    secret = SECRET_OF[type_code]
    assert page.status_code == 400
    assert f'data-error-for="{secret}"' in html
    assert [name for name in SECRETS if f'data-field-name="{name}"' in html] == [secret]
    assert not Verification.objects.exists()


def test_the_wrong_secret_field_is_a_400_with_the_error_beside_the_right_one(client, register):
    invoice = register(type="01")
    page = client.post("/", typed(invoice, amount="", check_code="123456"))
    assert page.status_code == 400
    html = page.content.decode()
    assert '<div data-error-for="amount">' in html and "专票请输入不含税金额" in html
    assert 'data-field-name="check_code"' not in html and "data-outcome" not in html


def test_what_the_check_finds_wrong_stands_beside_each_field(client):
    page = client.post(
        "/", {"code": "1100174320", "number": "4018441", "issue_date": "2018-02-30", "check_code": "123456"}
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert '<div data-error-for="number">' in html and "发票号码应为8位数字，数电票为20位。" in html
    assert '<div data-error-for="issue_date">' in html and "没有这一天" in html
    assert "data-outcome" not in html  # not in a result box
    assert Verification.objects.get().outcome == "invalid"  # still recorded


HUGE_EXPONENTS = ["1E+999999999", "-1E+999999999", "1E999999999999999999"]


@pytest.mark.parametrize("value", HUGE_EXPONENTS)
@pytest.mark.parametrize(("type_code", "field"), [("32", "total"), ("01", "amount")])
def test_an_amount_with_a_huge_exponent_is_an_error_beside_its_field(
    client, register, type_code, field, value
):
    page = client.post("/", typed(register(type=type_code), **{field: value}))
    assert page.status_code == 400
    assert f'<div data-error-for="{field}">' in page.content.decode()


def test_an_authentic_invoice_is_shown_in_words(client, register):
    invoice = register(type="32")
    page = client.post("/", typed(invoice))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-outcome="authentic"' in html and 'class="result authentic banner good"' in html
    text = visible_text(html)
    assert "查验一致" in text and invoice.seller.name in text and invoice.buyer.tax_id in text
    assert "6%" in text and "13%" in text and "正常" in text and "(北京时间)" in text
    assert invoice.total_in_words in text and "电子发票（普通发票）" in text
    assert [code for code in INTERNAL if code in text] == []
    assert ">normal<" not in html


def test_a_mismatch_marks_the_differing_field_and_reveals_nothing(client, register):
    invoice = register(type="32")
    html = client.post("/", typed(invoice, total="1.00")).content.decode()
    assert 'data-outcome="mismatch"' in html
    assert '<tr data-field="total" class="differs"><th scope="row">价税合计</th>' in html
    assert invoice.seller.name not in html and "data-invoice" not in html


def test_a_voided_invoice_shows_its_status_history_with_dates(client, register):
    invoice = register(type="10")
    registry.void(InvoiceKey(invoice.code, invoice.number), reason="开错了")
    html = client.post("/", typed(invoice)).content.decode()
    assert 'data-outcome="voided"' in html and 'class="result voided banner warning"' in html
    text = visible_text(html)
    assert "正常 → 已作废：开错了" in text and text.count("(北京时间)") == 2
    assert "voided" not in text


def test_the_result_offers_the_verify_link_of_what_was_typed(client, register):
    invoice = register(type="04")
    html = client.post("/", typed(invoice, type="04")).content.decode()
    link = (
        f"/verify?type=04&amp;code={invoice.code}&amp;number={invoice.number}"
        f"&amp;issue_date=2025-03-07&amp;check_code={invoice.check_code[-6:]}"
    )
    assert f'href="{link}" data-action="verify-link"' in html
    assert 'data-action="copy-link"' in html and "复制查验链接" in html


def test_the_verify_link_verifies_and_the_check_is_in_the_history(login, make_user, register):
    user, invoice = make_user(), register(type="01")
    page = login(user).get("/verify", typed(invoice))
    assert page.status_code == 200 and 'data-outcome="authentic"' in page.content.decode()
    check = Verification.objects.get()
    assert (check.actor, check.channel, check.outcome) == (user, Channel.WEB, "authentic")
    assert "no-cache" in page["Cache-Control"]


def test_a_verify_link_with_a_wrong_field_is_a_400_beside_that_field(client, register):
    page = client.get("/verify", typed(register(type="32"), issue_date="2025-02-30"))
    assert page.status_code == 400
    assert '<div data-error-for="issue_date">' in page.content.decode()


def test_a_verify_link_without_fields_or_asked_with_head_does_not_verify(client, register):
    assert client.get("/verify").status_code == 200
    assert client.head("/verify", typed(register(type="32"))).status_code == 200
    assert not Verification.objects.exists()


def test_only_a_signed_in_verifier_is_offered_the_certificate(client, login, make_user, register):
    invoice = register(type="32")
    assert 'data-action="certificate"' not in client.post("/", typed(invoice)).content.decode()
    html = login(make_user()).post("/", typed(invoice)).content.decode()
    check = Verification.objects.latest("created_at")
    url = reverse("api:verification_certificate", args=[check.public_id])
    assert f'href="{url}" download data-action="certificate"' in html


def test_healthz_says_the_site_is_alive(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize("charset", ["utf-16", "utf-7", "latin-1"])
def test_a_form_in_a_charset_that_cannot_be_read_is_a_400_page(charset):
    client = Client(enforce_csrf_checks=True)
    token = client.get("/").cookies["csrftoken"].value
    page = client.generic(
        "POST",
        "/",
        f"csrfmiddlewaretoken={token}&number=1&issue_date=2026-01-01".encode(),
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert page.status_code == 400
    assert 'data-error="400"' in page.content.decode()


@pytest.mark.parametrize("path", ["/", "/healthz"])
def test_monitors_may_ask_with_head(client, path):
    page = client.head(path)
    assert page.status_code == 200
    assert page.content == b""


def test_the_sixth_check_of_an_invoice_in_a_day_is_a_429_with_the_retry_time(client, register):
    data = typed(register(type="32"))
    for _ in range(5):
        assert client.post("/", data).status_code == 200
    page = client.post("/", data)
    assert page.status_code == 429
    assert 'data-error="429"' in page.content.decode()
    assert 0 < int(page["Retry-After"]) <= 86400
