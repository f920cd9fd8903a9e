"""The issuer's pages: register an invoice by form (lines added with htmx or without JavaScript),
list the organisation's invoices, the signed QR code, void, red-letter — the issuer's own
organisation only."""

import io
import re
from decimal import Decimal

import pytest
import zxingcpp
from PIL import Image

from tests import factories
from yanpiao.accounts import organisations
from yanpiao.accounts.models import Role
from yanpiao.fapiao.invoice import InvoiceKey
from yanpiao.registry import services as registry
from yanpiao.security import qr_signature

pytestmark = pytest.mark.django_db

NUMBER = "26112000000000000901"  # a 数电票: its key is its number


@pytest.fixture
def seller(db):
    """The organisation that is the factories' seller."""
    return organisations.create_organisation(factories.SELLER.name, factories.SELLER.tax_id)


@pytest.fixture
def issuer(make_user, seller):
    return make_user(Role.ISSUER, organisation=seller)


def form_data(lines=(("*信息技术服务*软件服务费", "100.00", "0.06", ""),), **head) -> dict:
    """What the registration form posts: its head (a 数电普票 unless ``head`` says otherwise) and ``lines``."""
    data = {
        "type": "32",
        "code": "",
        "number": NUMBER,
        "check_code": "",
        "issue_date": "2025-03-07",
        "buyer_name": factories.BUYER.name,
        "buyer_tax_id": factories.BUYER.tax_id,
        "remarks": "",
        "items-TOTAL_FORMS": str(len(lines)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "1",
        "items-MAX_NUM_FORMS": "100",
    }
    for i, (name, amount, rate, tax) in enumerate(lines):
        data.update({f"items-{i}-name": name, f"items-{i}-amount": amount, f"items-{i}-tax_rate": rate})
        data[f"items-{i}-tax"] = tax
    data.update(head)
    return data


def row_of(page, key: str) -> str:
    """The list's row of the invoice ``key``."""
    found = re.search(rf'<tr data-row="{key}".*?</tr>', page.content.decode(), re.S)
    assert found, f"no row {key}"
    return found[0]


def error_beside(page, field: str) -> str:
    found = re.search(rf'<div[^>]* data-error-for="{field}">(.*?)</div>', page.content.decode(), re.S)
    assert found, f"no error beside {field}"
    return found[1]


def test_an_issuer_registers_an_invoice_with_two_items_and_sees_it_with_a_signed_qr_code(login, issuer):
    client = login(issuer)
    page = client.get("/issuer/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="items-0-name"' in html and 'name="items-1-name"' not in html
    assert 'hx-get="/issuer/new/item/"' in html and 'hx-swap="beforeend"' in html

    management = {"items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0"}
    added = client.get("/issuer/new/item/", management, HTTP_HX_REQUEST="true")
    assert added.status_code == 200
    added = added.content.decode()
    assert 'name="items-1-name"' in added and 'name="items-0-name"' not in added
    assert re.search(r'name="items-TOTAL_FORMS" value="2"', added) and 'hx-swap-oob="true"' in added

    lines = (
        ("*信息技术服务*软件服务费", "100.00", "0.06", ""),
        ("*计算机配套产品*鼠标", "57.50", "0.13", "7.48"),
    )
    answer = client.post("/issuer/new/", form_data(lines))
    assert answer.status_code == 302, answer.content.decode()
    assert answer["Location"] == f"/issuer/{NUMBER}/"

    registered = registry.get_invoice(InvoiceKey("", NUMBER))
    assert registered.seller.tax_id == factories.SELLER.tax_id
    assert [item.tax for item in registered.items] == [Decimal("6.00"), Decimal("7.48")]
    assert registered.total == Decimal("170.98")

    row = row_of(client.get("/issuer/"), NUMBER)
    assert "正常" in row and "电子发票（普通发票）" in row and "170.98" in row
    assert (
        f'href="/issuer/{NUMBER}/"' in row
        and 'data-action="void"' in row
        and "normal" not in row.split(">", 1)[1]
    )

    invoice_page = client.get(f"/issuer/{NUMBER}/").content.decode()
    payload = re.search(r'data-qr-payload="([^"]+)"', invoice_page)[1]
    assert f'<img src="/issuer/{NUMBER}/qr.png" alt=' in invoice_page and "6%" in invoice_page
    png = client.get(f"/issuer/{NUMBER}/qr.png")
    assert png["Content-Type"] == "image/png"
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert decoded.text == payload
    assert qr_signature.check(decoded.text) == "valid"


def test_a_row_is_added_without_javascript_by_showing_the_form_again(login, issuer):
    page = login(issuer).post("/issuer/new/", form_data(number="", add_item="1"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="items-1-name"' in html and 'value="*信息技术服务*软件服务费"' in html
    assert "errorlist" not in html
    assert registry.count_invoices() == 0


def test_a_missing_number_and_an_impossible_date_are_shown_beside_their_fields(login, issuer):
    page = login(issuer).post("/issuer/new/", form_data(number="", issue_date="2025-02-30"))
    assert page.status_code == 400
    assert "必填" in error_beside(page, "number")
    assert "日期" in error_beside(page, "issue_date")
    assert registry.count_invoices() == 0


def test_the_registrys_findings_are_shown_beside_the_fields_they_name(login, issuer):
    data = form_data(
        (("*信息技术服务*软件服务费", "100.00", "0.06", "50.00"),), type="04", check_code="1" * 20
    )
    page = login(issuer).post("/issuer/new/", data)
    assert page.status_code == 400
    assert "请填写发票代码" in error_beside(page, "code")
    assert "税额与金额乘以税率不符" in error_beside(page, "items-0-tax")
    assert registry.count_invoices() == 0


def test_an_invoice_registered_already_is_refused_beside_its_number(login, issuer):
    client = login(issuer)
    assert client.post("/issuer/new/", form_data()).status_code == 302
    page = client.post("/issuer/new/", form_data())
    assert page.status_code == 400
    assert error_beside(page, "number")


def test_voiding_asks_for_a_reason_and_the_invoice_then_shows_voided(login, issuer, register):
    invoice = register(factories.invoice(type="04"))
    key = f"{invoice.code}-{invoice.number}"
    client = login(issuer)
    confirm = client.get(f"/issuer/{key}/void/")
    assert confirm.status_code == 200 and 'data-action="confirm-void"' in confirm.content.decode()
    no_reason = client.post(f"/issuer/{key}/void/", {"reason": ""})
    assert no_reason.status_code == 400 and error_beside(no_reason, "reason")
    done = client.post(f"/issuer/{key}/void/", {"reason": "开错了购买方"})
    assert done.status_code == 302 and done["Location"] == f"/issuer/{key}/"

    page = client.get(f"/issuer/{key}/").content.decode()
    assert re.search(r'data-field="status">已作废<', page) and "开错了购买方" in page
    row = row_of(client.get("/issuer/"), key)
    assert "已作废" in row and 'data-action="void"' not in row and 'data-action="red-letter"' not in row
    again = client.get(f"/issuer/{key}/void/")
    assert 'data-action="confirm-void"' not in again.content.decode()


def test_a_red_letter_invoice_reverses_the_original_which_then_shows_red_flushed(login, issuer, register):
    original = register(factories.invoice(type="32"))
    client = login(issuer)
    form = client.get(f"/issuer/{original.number}/red-letter/").content.decode()
    assert 'value="-100.00"' in form and f"被红冲蓝字数电发票号码：{original.number}" in form

    lines = [(line.name, str(-line.amount), line.tax_rate, str(-line.tax)) for line in original.items]
    remarks = f"被红冲蓝字数电发票号码：{original.number}"
    answer = client.post(f"/issuer/{original.number}/red-letter/", form_data(lines, remarks=remarks))
    assert answer.status_code == 302, answer.content.decode()
    assert answer["Location"] == f"/issuer/{NUMBER}/"
    assert registry.get_invoice(InvoiceKey("", NUMBER)).red_letter_of == original.key

    page = client.get(f"/issuer/{original.number}/").content.decode()
    assert re.search(r'data-field="status">已红冲<', page) and f'href="/issuer/{NUMBER}/"' in page
    row = row_of(client.get("/issuer/"), original.number)
    assert "已红冲" in row and 'data-action="red-letter"' not in row

    again = client.post(f"/issuer/{original.number}/red-letter/", form_data(lines, number=NUMBER[:-1] + "2"))
    assert again.status_code == 400
    assert "超过了原发票尚未冲销的金额" in error_beside(again, "__all__")


def test_reversing_part_of_an_invoice_shows_it_partially_red_flushed(login, issuer, register):
    original = register(factories.invoice(type="32"))
    lines = [("*信息技术服务*软件服务费", "-50.00", "0.06", "")]
    answer = login(issuer).post(f"/issuer/{original.number}/red-letter/", form_data(lines))
    assert answer.status_code == 302, answer.content.decode()
    assert "部分红冲" in row_of(login(issuer).get("/issuer/"), original.number)


def test_a_red_letter_invoice_with_positive_amounts_is_refused(login, issuer, register):
    original = register(factories.invoice(type="32"))
    page = login(issuer).post(f"/issuer/{original.number}/red-letter/", form_data())
    assert page.status_code == 400
    assert error_beside(page, "__all__").count("红字发票的金额应为负数") == 1
    assert registry.find_row(original.key).status == "normal"


def test_an_altered_page_cursor_is_a_400_page(login, issuer):
    assert login(issuer).get("/issuer/", {"cursor": "not-a-cursor"}).status_code == 400


def routes(key: str) -> list[tuple[str, str]]:
    """Every route of the issuer's pages: the organisation's, then those of the invoice ``key``."""
    return [
        ("get", "/issuer/"),
        ("get", "/issuer/new/"),
        ("post", "/issuer/new/"),
        ("get", "/issuer/new/item/"),
        *invoice_routes(key),
    ]


def invoice_routes(key: str) -> list[tuple[str, str]]:
    return [
        ("get", f"/issuer/{key}/"),
        ("get", f"/issuer/{key}/void/"),
        ("post", f"/issuer/{key}/void/"),
        ("get", f"/issuer/{key}/red-letter/"),
        ("post", f"/issuer/{key}/red-letter/"),
        ("get", f"/issuer/{key}/qr.png"),
    ]


def call(client, method: str, url: str):
    data = {"reason": "试试"} if url.endswith("void/") else form_data()
    return getattr(client, method)(url, data) if method == "post" else client.get(url)


@pytest.mark.parametrize("who", ["a taxpayer of the seller", "an issuer of no organisation"])
def test_anyone_who_may_not_issue_gets_404_on_every_route(login, make_user, seller, register, who):
    invoice = register(factories.invoice(type="32"))
    if who == "a taxpayer of the seller":
        user = make_user(Role.TAXPAYER, organisation=seller)
    else:
        user = make_user(Role.ISSUER)
    client = login(user)
    for method, url in routes(invoice.number):
        assert call(client, method, url).status_code == 404, url
    assert registry.find_row(invoice.key).status == "normal"
    assert registry.count_invoices() == 1


def test_an_issuer_of_another_organisation_gets_404_on_every_route_of_the_invoice(login, make_user, register):
    invoice = register(factories.invoice(type="32"))
    other = organisations.create_organisation("别家公司", factories.tax_id(77))
    client = login(make_user(Role.ISSUER, organisation=other))
    for method, url in invoice_routes(invoice.number):
        assert call(client, method, url).status_code == 404, url
    listed = client.get("/issuer/")
    assert listed.status_code == 200 and invoice.number not in listed.content.decode()
    assert registry.find_row(invoice.key).status == "normal"
    assert registry.count_invoices() == 1


def test_anonymous_visitors_are_sent_to_log_in(client, register):
    invoice = register(factories.invoice(type="32"))
    for method, url in routes(invoice.number):
        answer = getattr(client, method)(url)
        assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/"), url
