"""The issuer endpoints: register (with a signed QR code and its PNG), void, list — the issuer's
own organisation only, the ``issue`` scope, the one error shape."""

import base64
import datetime
import io
import json

import pytest
import zxingcpp
from PIL import Image

from tests import factories
from yanpiao.accounts import organisations
from yanpiao.accounts.models import Role
from yanpiao.fapiao import qr
from yanpiao.fapiao.invoice import to_json
from yanpiao.registry import services as registry
from yanpiao.registry.models import Invoice as InvoiceRow
from yanpiao.security import qr_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def issuer(make_user):
    """An issuer of the organisation that is the factories' seller."""
    seller = organisations.create_organisation(factories.SELLER.name, factories.SELLER.tax_id)
    return make_user(Role.ISSUER, organisation=seller)


@pytest.fixture
def other_issuer(make_user):
    other = organisations.create_organisation("别家公司", factories.tax_id(77))
    return make_user(Role.ISSUER, organisation=other)


def body(invoice) -> dict:
    data = to_json(invoice)
    data.pop("status")
    return data


def key_of(invoice) -> str:
    return f"{invoice.code}-{invoice.number}" if invoice.code else invoice.number


def test_register_answers_a_signed_payload_whose_png_decodes_and_verifies(api, bearer, issuer, audit_events):
    invoice = factories.invoice(type="32")
    answer = api.post("/invoices", body(invoice), **bearer(issuer, ("issue",)))
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["key"] == invoice.number
    assert data["invoice"] == to_json(invoice)
    assert data["original"] is None
    payload = data["qr_payload"]
    standard, signature = qr.split_signature(payload)
    assert standard == qr.of_invoice(invoice) and signature
    assert qr_signature.check(payload) == "valid"
    image = Image.open(io.BytesIO(base64.b64decode(data["qr_png"])))
    [decoded] = zxingcpp.read_barcodes(image)
    assert decoded.text == payload
    assert registry.get_invoice(invoice.key) == invoice
    [event] = [e for e in audit_events if e["action"] == "registry.register"]
    assert event["actor"] == issuer

    check = api.post("/verifications/qr", {"payload": decoded.text})
    assert check.status_code == 200, check.content
    assert (check.json()["outcome"], check.json()["signature"]) == ("authentic", "valid")


def test_an_altered_signed_payload_is_tampered(api, bearer, issuer):
    invoice = factories.invoice(type="32")
    payload = api.post("/invoices", body(invoice), **bearer(issuer, ("issue",))).json()["qr_payload"]
    total = qr.parse(payload).amount
    altered = payload.replace(f",{total},", f",{total + 1},")
    check = api.post("/verifications/qr", {"payload": altered}).json()
    assert (check["outcome"], check["signature"], check["invoice"]) == ("tampered", "invalid", None)
    assert "qr.signature" in [finding["rule"] for finding in check["findings"]]


def test_a_session_issuer_registers_too(client, login, issuer):
    login(issuer)
    answer = client.post(
        "/api/v1/invoices", json.dumps(body(factories.invoice(type="04"))), content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["key"].count("-") == 1


def test_a_red_letter_invoice_names_its_original(api, bearer, issuer):
    headers = bearer(issuer, ("issue",))
    original = factories.invoice(type="32")
    assert api.post("/invoices", body(original), **headers).status_code == 200
    red = factories.red_letter(original)
    answer = api.post("/invoices", body(red), **headers)
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["invoice"]["red_letter_of"] == {"code": "", "number": original.number}
    assert data["original"] == {"key": original.number, "status": "red_flushed"}
    assert qr.parse(data["qr_payload"]).amount == red.total < 0
    assert qr_signature.check(data["qr_payload"]) == "valid"


def test_a_red_letter_invoice_may_not_reverse_another_sellers_invoice(api, bearer, issuer, register):
    theirs = register(factories.invoice(type="32", seller=factories.BUYER))
    red = factories.red_letter(theirs)
    answer = api.post("/invoices", body(red), **bearer(issuer, ("issue",)))
    assert answer.status_code == 400
    assert "red_letter_of" in answer.json()["error"]["fields"]
    assert InvoiceRow.objects.filter(number=red.number).count() == 0


def test_the_seller_must_be_the_issuers_organisation(api, bearer, other_issuer):
    answer = api.post("/invoices", body(factories.invoice()), **bearer(other_issuer, ("issue",)))
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "not_seller"
    assert InvoiceRow.objects.count() == 0


@pytest.mark.parametrize("role", [Role.TAXPAYER, Role.AUDITOR, Role.ADMIN])
def test_only_issuers_register_and_list(api, bearer, make_user, role):
    seller = organisations.create_organisation("卖方", factories.SELLER.tax_id)
    user = make_user(role, organisation=seller)
    headers = bearer(user, ("issue",))
    answer = api.post("/invoices", body(factories.invoice()), **headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "not_issuer")
    assert api.get("/invoices", **headers).status_code == 403


def test_an_issuer_without_an_organisation_is_refused(api, bearer, make_user):
    answer = api.post("/invoices", body(factories.invoice()), **bearer(make_user(Role.ISSUER), ("issue",)))
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "no_organisation")


def test_a_token_without_the_issue_scope_is_refused(api, bearer, issuer, register):
    invoice = register(factories.invoice())
    headers = bearer(issuer, ("verify", "history:read"))
    for answer in (
        api.post("/invoices", body(factories.invoice()), **headers),
        api.post(f"/invoices/{key_of(invoice)}/void", {"reason": "开错了"}, **headers),
        api.get("/invoices", **headers),
    ):
        assert (answer.status_code, answer.json()["error"]["code"]) == (403, "missing_scope")


def test_anonymous_callers_are_401(api):
    assert api.post("/invoices", body(factories.invoice())).status_code == 401
    assert api.get("/invoices").status_code == 401


@pytest.mark.parametrize(
    "data, field",
    [
        ({"type": "32"}, "number"),
        ({**body(factories.invoice()), "numbr": "1"}, "numbr"),
        ({**body(factories.invoice()), "issue_date": "2025-02-30"}, "issue_date"),
        ({**body(factories.invoice()), "total": "1.00"}, None),  # the arithmetic does not add up
    ],
)
def test_bad_invoice_json_is_400_naming_the_field(api, bearer, issuer, data, field):
    answer = api.post("/invoices", data, **bearer(issuer, ("issue",)))
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert error["code"] == "invalid_invoice" and error["fields"]
    if field:
        assert field in error["fields"]


def test_a_body_that_is_not_json_is_400_in_the_error_shape(client, bearer, issuer):
    answer = client.post(
        "/api/v1/invoices", "{not json", content_type="application/json", **bearer(issuer, ("issue",))
    )
    assert answer.status_code == 400
    assert set(answer.json()["error"]) == {"code", "message", "fields"}
    answer = client.post(
        "/api/v1/invoices", "[1, 2]", content_type="application/json", **bearer(issuer, ("issue",))
    )
    assert answer.status_code == 400


def test_a_second_registration_is_409(api, bearer, issuer):
    invoice, headers = factories.invoice(), bearer(issuer, ("issue",))
    assert api.post("/invoices", body(invoice), **headers).status_code == 200
    answer = api.post("/invoices", body(invoice), **headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "already_registered")


def test_void_own_invoice_then_again_changes_nothing(api, bearer, issuer, register, audit_events):
    invoice = register(factories.invoice(type="01"))
    headers = bearer(issuer, ("issue",))
    answer = api.post(f"/invoices/{key_of(invoice)}/void", {"reason": "开票有误"}, **headers)
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert (data["key"], data["status"], data["changed"]) == (key_of(invoice), "voided", True)
    assert [(c["previous_status"], c["status"], c["reason"]) for c in data["status_history"]] == [
        ("normal", "voided", "开票有误")
    ]
    assert [e["actor"] for e in audit_events if e["action"] == "registry.void"] == [issuer]
    again = api.post(f"/invoices/{key_of(invoice)}/void", {"reason": "再来"}, **headers).json()
    assert (again["status"], again["changed"]) == ("voided", False)


def test_void_needs_a_reason(api, bearer, issuer, register):
    invoice = register(factories.invoice())
    for reason in ({}, {"reason": ""}, {"reason": "   "}):
        answer = api.post(f"/invoices/{key_of(invoice)}/void", reason, **bearer(issuer, ("issue",)))
        assert answer.status_code == 400
    assert registry.find_row(invoice.key).status == "normal"


def test_a_reversed_invoice_cannot_be_voided(api, bearer, issuer, register):
    original = register(factories.invoice(type="32"))
    register(factories.red_letter(original))
    answer = api.post(f"/invoices/{original.number}/void", {"reason": "x"}, **bearer(issuer, ("issue",)))
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "invalid_status")


def test_void_of_someone_elses_or_a_missing_invoice_is_404(
    api, bearer, issuer, other_issuer, make_user, register
):
    invoice = register(factories.invoice())
    for user in (other_issuer, make_user(Role.TAXPAYER)):
        answer = api.post(f"/invoices/{key_of(invoice)}/void", {"reason": "x"}, **bearer(user, ("issue",)))
        assert (answer.status_code, answer.json()["error"]["code"]) == (404, "not_found")
    for key in ("26112000000000099999", "1100241320-99999999", "nonsense", "1-2-3"):
        answer = api.post(f"/invoices/{key}/void", {"reason": "x"}, **bearer(issuer, ("issue",)))
        assert answer.status_code == 404
    assert registry.find_row(invoice.key).status == "normal"


def test_list_shows_own_invoices_only_newest_first_in_pages(api, bearer, issuer, other_issuer, register):
    mine = [register(factories.invoice(type="32")) for _ in range(5)]
    register(factories.invoice(type="32", seller=factories.BUYER))  # not ours
    headers = bearer(issuer, ("issue",))
    seen, cursor = [], ""
    while True:
        answer = api.get(f"/invoices?limit=2&cursor={cursor}", **headers)
        assert answer.status_code == 200, answer.content
        data = answer.json()
        assert len(data["invoices"]) <= 2
        seen += [item["invoice"]["number"] for item in data["invoices"]]
        for item in data["invoices"]:
            assert qr_signature.check(item["qr_payload"]) == "valid"
        if not data["next_cursor"]:
            break
        cursor = data["next_cursor"]
    assert seen == [invoice.number for invoice in reversed(mine)]
    others = api.get("/invoices", **bearer(other_issuer, ("issue",))).json()
    assert others == {"invoices": [], "next_cursor": None}


def test_list_filters_by_status_and_issue_date(api, bearer, issuer, register):
    early = register(factories.invoice(issue_date=datetime.date(2025, 1, 10)))
    late = register(factories.invoice(issue_date=datetime.date(2025, 3, 7)))
    registry.void(early.key, "x")
    headers = bearer(issuer, ("issue",))

    def numbers(query):
        answer = api.get(f"/invoices?{query}", **headers)
        assert answer.status_code == 200, answer.content
        return [item["invoice"]["number"] for item in answer.json()["invoices"]]

    assert numbers("status=voided") == [early.number]
    assert numbers("status=normal") == [late.number]
    assert numbers("from=2025-02-01") == [late.number]
    assert numbers("to=2025-02-01") == [early.number]
    assert numbers("from=2025-01-10&to=2025-03-07") == [late.number, early.number]


@pytest.mark.parametrize(
    "query", ["status=lost", "from=2025-13-01", "limit=0", "limit=101", "cursor=abc", "cursor=" + "A" * 40]
)
def test_bad_list_parameters_are_400(api, bearer, issuer, query):
    answer = api.get(f"/invoices?{query}", **bearer(issuer, ("issue",)))
    assert answer.status_code == 400, answer.content
    assert set(answer.json()["error"]) == {"code", "message", "fields"}
