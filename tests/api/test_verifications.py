"""Verifying through the API: typed fields (ours and the aggregators' names), a QR payload, files;
the one answer shape, the one error shape, who may call and how often."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests import factories
from tests.factories import key_query
from tests.test_cli import OUTCOMES, prepared, run, verify_args
from yanpiao.accounts import tokens
from yanpiao.accounts.models import Role
from yanpiao.demo.documents import rendered
from yanpiao.fapiao import qr, types
from yanpiao.verification.models import Verification
from yanpiao.verification.services import ANSWER_FIELDS


def typed(query) -> dict:
    return {name: value for name, value in query.to_json().items() if name != "type"}


def aggregator_names(query) -> dict:
    """The query as a client written for the aggregators' APIs sends it."""
    names = {"code": "fpdm", "number": "fphm", "check_code": "jym", "amount": "je", "total": "jshj"}
    fields = {names[name]: value for name, value in typed(query).items() if name in names}
    fields["kprq"] = query.issue_date.replace("-", "")
    return fields


def qr_text(invoice) -> str:
    amount = invoice.total if types.is_digital(invoice.type) else invoice.amount
    return qr.build(
        invoice.type, invoice.code, invoice.number, amount, invoice.issue_date, invoice.check_code
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("type", ["01", "04", "32"])
def test_the_api_gives_the_outcome_the_command_line_gives(capsys, register, api, type, outcome):
    _, query = prepared(register, type, outcome)
    _, out, _ = run(capsys, *verify_args(query, "--json"))
    on_the_command_line = json.loads(out)

    answer = api.post("/verifications", typed(query))

    if outcome == "invalid":
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "invalid_fields"
        assert "number" in answer.json()["error"]["fields"]
    else:
        assert answer.status_code == 200
        assert answer.json()["outcome"] == on_the_command_line["outcome"] == outcome
        assert answer.json()["differences"] == on_the_command_line["differences"]
        assert answer.json()["invoice"] == on_the_command_line["invoice"]


def test_the_aggregators_field_names_verify_the_same_invoice(register, api):
    invoice = register(type="04")
    answer = api.post("/verifications", aggregator_names(key_query(invoice)))
    assert answer.status_code == 200
    assert answer.json()["outcome"] == "authentic"
    assert answer.json()["invoice"]["number"] == invoice.number


def test_a_field_given_under_both_names_must_agree(register, api):
    invoice = register(type="01")
    fields = {**typed(key_query(invoice)), "fphm": "00000001"}
    answer = api.post("/verifications", fields)
    assert answer.status_code == 400
    assert answer.json()["error"]["fields"].keys() == {"number"}


def test_a_date_given_as_yyyymmdd_and_as_iso_agrees(register, api):
    invoice = register(type="01")
    query = key_query(invoice)
    fields = {**typed(query), "kprq": query.issue_date.replace("-", "")}
    assert api.post("/verifications", fields).json()["outcome"] == "authentic"


def test_every_answer_has_the_one_shape(register, api):
    invoice = register(type="01")
    answer = api.post("/verifications", typed(key_query(invoice, issue_date="2025-01-02"))).json()
    assert set(ANSWER_FIELDS) <= answer.keys()
    assert answer["outcome"] == "mismatch"
    assert answer["invoice"] is None  # a mismatch reveals nothing of the registered invoice
    assert answer["differences"] == ["issue_date"]
    assert datetime.datetime.fromisoformat(answer["checked_at"]).utcoffset() is not None
    assert Verification.objects.filter(public_id=answer["id"], channel="api").exists()


def test_an_anonymous_verifier_gets_no_certificate_link_and_a_signed_in_one_does(
    register, api, make_user, bearer
):
    invoice = register(type="01")
    assert api.post("/verifications", typed(key_query(invoice))).json()["certificate_url"] is None
    signed_in = api.post("/verifications", typed(key_query(invoice)), **bearer(make_user()))
    assert signed_in.json()["certificate_url"].endswith(
        f"/api/v1/verifications/{signed_in.json()['id']}/certificate"
    )


def test_the_sixth_check_of_one_invoice_in_a_day_is_refused_with_when_to_retry(
    register, api, make_user, bearer
):
    invoice, other = register(type="01"), register(type="01")
    headers = bearer(make_user())
    for _ in range(5):
        assert api.post("/verifications", typed(key_query(invoice)), **headers).status_code == 200

    refused = api.post("/verifications", typed(key_query(invoice)), **headers)

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert int(refused["Retry-After"]) > 0
    assert "try again after" in refused.json()["error"]["message"]
    assert api.post("/verifications", typed(key_query(other)), **headers).status_code == 200
    assert api.post("/verifications", typed(key_query(invoice)), **bearer(make_user())).status_code == 200


def test_the_sixth_anonymous_check_of_one_invoice_from_one_address_is_refused(register, api):
    invoice = register(type="01")
    for _ in range(5):
        api.post("/verifications", typed(key_query(invoice)))
    assert api.post("/verifications", typed(key_query(invoice))).status_code == 429


def test_anonymous_calls_are_limited_per_address_per_minute(register, api, settings):
    settings.YANPIAO_API_ANONYMOUS_REQUESTS_PER_MINUTE = 2
    invoice = register(type="01")
    statuses = [api.post("/verifications", typed(key_query(invoice))).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_token_without_the_verify_scope_may_not_verify(register, api, make_user, bearer):
    invoice = register(type="01")
    answer = api.post("/verifications", typed(key_query(invoice)), **bearer(make_user(), ["history:read"]))
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "missing_scope"


def test_a_wrong_or_revoked_token_is_refused_not_taken_for_anonymous(register, api, make_user):
    invoice = register(type="01")
    token, secret = tokens.create_token(make_user(), "app", ["verify"])
    tokens.revoke(token)
    for header in (f"Bearer {secret}", "Bearer yp_not-a-token", "Basic abc"):
        answer = api.post("/verifications", typed(key_query(invoice)), HTTP_AUTHORIZATION=header)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "invalid_token"


def test_a_session_call_that_changes_something_needs_the_csrf_token(register, make_user):
    invoice = register(type="01")
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    answer = client.post("/api/v1/verifications", typed(key_query(invoice)), content_type="application/json")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "csrf_failed"

    client.get("/")  # the page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    answer = client.post(
        "/api/v1/verifications",
        typed(key_query(invoice)),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert answer.status_code == 200


def test_staff_on_a_session_must_have_passed_two_factor_authentication(register, make_user, client):
    invoice = register(type="01")
    client.force_login(make_user(role=Role.AUDITOR))
    answer = client.post("/api/v1/verifications", typed(key_query(invoice)), content_type="application/json")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "two_factor_required"


def test_a_qr_payload_verifies_the_invoice_it_names(register, api):
    invoice = register(type="04")
    answer = api.post("/verifications/qr", {"payload": qr_text(invoice)})
    assert answer.status_code == 200
    assert answer.json()["outcome"] == "authentic"
    assert answer.json()["channel"] == "qr"


@pytest.mark.parametrize("payload", ["", "hello", "01,04,1100,", "01,04," + "9" * 400])
def test_a_payload_that_is_not_an_invoice_qr_is_a_400(db, api, payload):
    answer = api.post("/verifications/qr", {"payload": payload})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"]


def test_each_uploaded_document_gives_a_result_per_invoice(register, api):
    invoice = register(type="32")
    documents = rendered(invoice)
    files = [
        SimpleUploadedFile("invoice.pdf", documents["pdf"], "application/pdf"),
        SimpleUploadedFile("invoice.xml", documents["xml"], "application/xml"),
        SimpleUploadedFile("notes.txt", b"not an invoice at all", "text/plain"),
    ]
    answer = api_client_post_files(api, files)
    assert answer.status_code == 200
    pdf, xml, junk = answer.json()["documents"]
    assert (pdf["format"], [r["outcome"] for r in pdf["results"]]) == ("pdf", ["authentic"])
    assert (xml["format"], [r["outcome"] for r in xml["results"]]) == ("xml", ["authentic"])
    assert junk["results"] == [] and junk["error"]["code"].startswith("document_")
    assert Verification.objects.filter(channel="upload").count() == 2


def test_uploads_need_a_file_and_at_most_ten(db, api):
    assert api_client_post_files(api, []).status_code == 400
    many = [SimpleUploadedFile(f"{n}.txt", b"x") for n in range(11)]
    answer = api_client_post_files(api, many)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "too_many_files"


def api_client_post_files(api, files):
    from django.test import Client

    return Client().post("/api/v1/verifications/files", {"files": files})


@pytest.mark.parametrize(
    "body, content_type",
    [("{not json", "application/json"), ("[]", "application/json"), ('{"number": 12}', "application/json")],
)
def test_a_malformed_body_is_a_400_in_the_error_shape(db, client, body, content_type):
    answer = client.post("/api/v1/verifications", body, content_type=content_type)
    assert answer.status_code == 400
    assert set(answer.json()["error"]) == {"code", "message", "fields"}


def test_an_unknown_api_path_is_a_404_in_the_error_shape(db, client):
    answer = client.get("/api/v1/no-such-thing")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_the_schema_is_openapi_3_1_and_the_docs_page_loads_its_files_from_the_site(db, client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    assert "/api/v1/verifications" in schema["paths"]
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


def test_an_unregistered_invoice_is_not_found_for_every_name_style(db, api):
    query = key_query(factories.invoice(type="01"))
    assert api.post("/verifications", typed(query)).json()["outcome"] == "not_found"
    assert api.post("/verifications", aggregator_names(query)).json()["outcome"] == "not_found"


def test_a_body_over_the_size_limit_is_a_413_not_a_500(db, client):
    body = '{"number": "' + "1" * 3_000_000 + '"}'
    answer = client.post("/api/v1/verifications", body, content_type="application/json")
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "too_large"


def test_more_files_than_django_accepts_is_a_413_not_a_500(db, client):
    files = [SimpleUploadedFile(f"{n}.txt", b"x") for n in range(120)]
    answer = client.post("/api/v1/verifications/files", {"files": files})
    assert answer.status_code == 413


def test_a_method_the_endpoint_does_not_take_is_a_405_in_the_error_shape(db, client):
    answer = client.put("/api/v1/verifications", "{}", content_type="application/json")
    assert answer.status_code == 405
    assert answer.json()["error"]["code"] == "method_not_allowed"
    assert "POST" in answer["Allow"]


def test_answers_are_utf_8_json_with_chinese_as_it_is(register, api):
    answer = api.post("/verifications", typed(key_query(register(type="01"))))
    assert answer["Content-Type"] == "application/json; charset=utf-8"
    assert "查验一致" in answer.content.decode("utf-8")


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/verifications", {"number": 12}, "number"),
        ("/verifications", {"fpdm": "1" * 65}, "fpdm"),
        ("/verifications/qr", {"payload": "1" * 600}, "payload"),
        ("/verifications/qr", {}, "payload"),
    ],
)
def test_a_field_of_the_wrong_type_or_length_is_named_as_the_client_sent_it(db, api, path, body, field):
    answer = api.post(path, body)
    assert answer.status_code == 400
    assert list(answer.json()["error"]["fields"]) == [field]
