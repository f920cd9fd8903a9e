"""Every endpoint that takes an id answers an outsider 404, exactly as for an id that does not
exist: nothing tells which checks, invoices or tokens exist or whose they are."""

import uuid

import pytest

from tests import factories
from tests.factories import key_query
from yanpiao.accounts import organisations, tokens
from yanpiao.accounts.models import Role
from yanpiao.alerts import services as alerts
from yanpiao.api.main import api as ninja_api
from yanpiao.batches import services as batches
from yanpiao.support import surveys
from yanpiao.support import tickets as support_tickets
from yanpiao.verification import services as verification

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(register, make_user, tmp_path):
    """The ids an owner holds: a check, an issued invoice, a token, a batch."""
    seller = organisations.create_organisation(factories.SELLER.name, factories.SELLER.tax_id)
    owner = make_user(Role.ISSUER, organisation=seller)
    invoice = register(type="01")
    result = verification.verify(key_query(invoice), actor=owner)
    token, _ = tokens.create_token(owner, "owner's app", ["verify"])
    table = tmp_path / "batch.csv"
    table.write_text(
        f"发票代码,发票号码,开票日期,金额\n{invoice.code},{invoice.number},{invoice.issue_date},{invoice.amount}\n"
    )
    batch = batches.create(owner, table, "batch.csv")
    alert = alerts.raise_alert("forgery_probing", "high", "account", str(owner.pk), "probing")
    ticket = support_tickets.open_ticket(owner, "question", "x", "y")
    staff = make_user(Role.AUDITOR, email="survey.staff@example.com")
    survey = surveys.save_draft(staff, [surveys.QuestionDraft("rating", "打分")], title="调查")
    return {
        "ticket_id": str(ticket.public_id),
        "survey_id": str(survey.public_id),
        "alert_id": str(alert.public_id),
        "verification_id": str(result.verification_id),
        "key": f"{invoice.code}-{invoice.number}",
        "token_id": str(token.pk),
        "batch_id": str(batch.public_id),
    }


# Each id-taking operation, and the body it needs to get past validation.
ID_TAKING = {
    ("get", "/api/v1/verifications/{verification_id}"): None,
    ("get", "/api/v1/verifications/{verification_id}/certificate"): None,
    ("get", "/api/v1/certificates/{verification_id}"): None,
    ("post", "/api/v1/invoices/{key}/void"): {"reason": "开错了"},
    ("post", "/api/v1/tokens/{token_id}/revoke"): None,
    ("get", "/api/v1/batches/{batch_id}"): None,
    ("get", "/api/v1/batches/{batch_id}/result"): None,
    ("post", "/api/v1/batches/{batch_id}/cancel"): None,
    ("post", "/api/v1/batches/{batch_id}/retry"): None,
    ("get", "/api/v1/alerts/{alert_id}"): None,
    ("post", "/api/v1/alerts/{alert_id}/acknowledge"): None,
    ("post", "/api/v1/alerts/{alert_id}/resolve"): {"note": ""},
    ("post", "/api/v1/alerts/{alert_id}/false-positive"): {"note": ""},
    ("post", "/api/v1/alerts/{alert_id}/reopen"): None,
    ("post", "/api/v1/alerts/{alert_id}/assign"): {"assignee_id": None},
    ("post", "/api/v1/alerts/{alert_id}/notes"): {"text": "x"},
    ("get", "/api/v1/tickets/{ticket_id}"): None,
    ("post", "/api/v1/tickets/{ticket_id}/replies"): {"body": "x"},
    ("post", "/api/v1/tickets/{ticket_id}/close"): None,
    ("post", "/api/v1/tickets/{ticket_id}/reopen"): None,
    ("post", "/api/v1/tickets/{ticket_id}/ratings"): {"service": 1},
    ("get", "/api/v1/surveys/{survey_id}"): None,
    ("get", "/api/v1/surveys/{survey_id}/responses"): None,
    ("post", "/api/v1/surveys/{survey_id}/responses"): {"token": "not-theirs", "answers": {}},
}
# Open to every signed-in user (the suggestion board): tests/api/test_suggestions.py checks 401 and 404.
SHARED = {
    ("get", "/api/v1/suggestions/{suggestion_id}"),
    ("post", "/api/v1/suggestions/{suggestion_id}/vote"),
    ("delete", "/api/v1/suggestions/{suggestion_id}/vote"),
    ("post", "/api/v1/suggestions/{suggestion_id}/comments"),
}


def test_the_list_of_id_taking_endpoints_is_complete():
    schema = ninja_api.get_openapi_schema()
    with_ids = {(method, path) for path, ops in schema["paths"].items() if "{" in path for method in ops}
    assert with_ids == set(ID_TAKING) | SHARED


@pytest.mark.parametrize("operation", ID_TAKING, ids=lambda op: f"{op[0]} {op[1]}")
@pytest.mark.parametrize("outsider_role", [Role.TAXPAYER, Role.ISSUER])
def test_an_outsider_gets_404_for_someone_elses_id_as_for_none(
    client, bearer, make_user, owned, operation, outsider_role
):
    method, template = operation
    stranger = organisations.create_organisation("别家公司", factories.tax_id(77))
    outsider = make_user(outsider_role, organisation=stranger)
    scopes = ["verify", "history:read", "issue", "account", "batch", "alerts"]
    missing = {
        "alert_id": str(uuid.uuid4()),
        "ticket_id": str(uuid.uuid4()),
        "survey_id": str(uuid.uuid4()),
        "verification_id": str(uuid.uuid4()),
        "key": "1100251130-99999999",
        "token_id": "999999",
        "batch_id": str(uuid.uuid4()),
    }
    for ids in (owned, missing):
        path = template.format(**ids)
        if method == "get":
            answer = client.get(path, **bearer(outsider, scopes))
        else:
            body = ID_TAKING[operation] or {}
            answer = client.post(path, body, content_type="application/json", **bearer(outsider, scopes))
        assert answer.status_code == 404, (path, answer.content[:200])
        assert answer.json()["error"]["code"] == "not_found"
