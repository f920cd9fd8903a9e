"""``/api/v1/alerts``: auditors and admins list, read and work alerts through; anyone else gets 404,
a token without the scope 403."""

import uuid

import pytest

from yanpiao.accounts.models import Role
from yanpiao.alerts import services
from yanpiao.alerts.models import Alert, Note
from yanpiao.api.alerts import SCOPE
from yanpiao.security import audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(make_user):
    return make_user(role=Role.AUDITOR)


@pytest.fixture
def alert():
    return services.raise_alert(
        "duplicate_reimbursement", "high", "invoice", "42", "Presented twice.", ["v1"]
    )


def test_an_auditor_lists_alerts_filtered_and_paged(api, bearer, auditor, alert):
    services.raise_alert("model", "medium", "invoice", "43", "Unusual.", [])
    headers = bearer(auditor, [SCOPE])
    page = api.get("/alerts?limit=1", **headers).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = api.get(f"/alerts?limit=1&cursor={page['next_cursor']}", **headers).json()
    assert {page["items"][0]["kind"], rest["items"][0]["kind"]} == {"model", "duplicate_reimbursement"}
    [found] = api.get("/alerts?kind=duplicate_reimbursement&status=open", **headers).json()["items"]
    assert (found["id"], found["severity"], found["evidence"]) == (str(alert.public_id), "high", ["v1"])


def test_a_bad_filter_is_a_400_naming_it(api, bearer, auditor):
    answer = api.get("/alerts?status=done", **bearer(auditor, [SCOPE]))
    assert answer.status_code == 400 and "status" in answer.json()["error"]["fields"]


def test_the_detail_has_the_evidence_and_notes_and_opening_it_is_audited(
    api, bearer, auditor, alert, audit_events
):
    services.add_note(alert, auditor, "checking with the buyer")
    found = api.get(f"/alerts/{alert.public_id}", **bearer(auditor, [SCOPE])).json()
    assert found["evidence"] == ["v1"] and [n["text"] for n in found["notes"]] == ["checking with the buyer"]
    assert audit_events[-1]["action"] == audit.Action.ALERT_VIEW


def test_the_workflow_through_the_api(api, bearer, auditor, make_user, alert):
    headers = bearer(auditor, [SCOPE])
    base = f"/alerts/{alert.public_id}"
    assert api.post(f"{base}/acknowledge", **headers).json()["status"] == "acknowledged"
    assert api.post(f"{base}/acknowledge", **headers).status_code == 409
    assert (
        api.post(f"{base}/assign", {"assignee_id": auditor.pk}, **headers).json()["assignee_id"] == auditor.pk
    )
    outsider = make_user()
    assert api.post(f"{base}/assign", {"assignee_id": outsider.pk}, **headers).status_code == 400
    noted = api.post(f"{base}/notes", {"text": "called them"}, **headers)
    assert noted.status_code == 201 and noted.json()["notes"][-1]["text"] == "called them"
    assert api.post(f"{base}/false-positive", {"note": "a test invoice"}, **headers).json()["status"] == (
        "false_positive"
    )
    assert api.post(f"{base}/resolve", {}, **headers).json()["error"]["code"] == "alert_closed"
    assert api.post(f"{base}/reopen", **headers).json()["status"] == "open"
    assert api.post(f"{base}/resolve", {}, **headers).json()["status"] == "resolved"
    assert Alert.objects.get().status == "resolved"


STEPS = {
    "acknowledge": None,
    "resolve": {"note": ""},
    "false-positive": {"note": ""},
    "reopen": None,
    "assign": {"assignee_id": None},
    "notes": {"text": "mine"},
}


def test_anyone_but_staff_gets_404_for_the_list_an_alert_and_each_step_as_for_none(
    api, bearer, make_user, alert
):
    for role in (Role.TAXPAYER, Role.ISSUER):
        headers = bearer(make_user(role=role), [SCOPE])
        assert api.get("/alerts", **headers).status_code == 404
        for alert_id in (alert.public_id, uuid.uuid4()):
            assert api.get(f"/alerts/{alert_id}", **headers).status_code == 404
            for step, body in STEPS.items():
                answer = api.post(f"/alerts/{alert_id}/{step}", body, **headers)
                assert answer.status_code == 404, step
                assert answer.json()["error"]["code"] == "not_found"
    assert api.get("/alerts").status_code == 401
    assert Alert.objects.get().status == "open" and not Note.objects.exists()


def test_a_token_without_the_scope_is_refused_with_403(api, bearer, auditor, alert):
    answer = api.get(f"/alerts/{alert.public_id}", **bearer(auditor, ["verify"]))
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "missing_scope"
