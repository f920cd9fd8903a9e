"""The alert pages: the queue, one alert and its workflow, the dashboard, the settings, the
navigation's badge, and the risk block of the result page."""

import json
import re

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from tests.factories import key_query
from yanpiao.accounts.models import Role
from yanpiao.alerts import services
from yanpiao.alerts.models import Alert, Delivery, Webhook
from yanpiao.risk import codes
from yanpiao.risk.assessment import Assessment, Reason
from yanpiao.security import audit
from yanpiao.verification.models import Verification
from yanpiao.verification.services import verify

pytestmark = pytest.mark.django_db

PAGES = ("/alerts/", "/alerts/dashboard/", "/alerts/settings/")


def alert(kind=codes.ENUMERATION, severity="high", subject="account", key="7", evidence=()):
    return services.raise_alert(kind, severity, subject, key, "Many checks found no invoice.", evidence)


def rows(html: str) -> dict[str, str]:
    """The queue's rows: public id → status."""
    return dict(re.findall(r'data-alert="([0-9a-f-]+)" data-status="(\w+)"', html))


@pytest.fixture
def auditor_user(make_user):
    return make_user(Role.AUDITOR, display_name="审计员甲")


@pytest.fixture
def auditor(login, auditor_user):
    """A client of an auditor past two-factor authentication."""
    return login(auditor_user)


# --- who may see them ------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_the_alert_pages_do_not_exist_for_a_taxpayer_or_an_issuer(login, make_user, path):
    assert login(make_user()).get(path).status_code == 404
    assert login(make_user(Role.ISSUER)).get(path).status_code == 404


def test_an_alert_does_not_exist_for_a_taxpayer_and_a_visitor_is_asked_to_log_in(client, login, make_user):
    found = alert()
    assert client.get(f"/alerts/{found.public_id}/").status_code == 302
    assert login(make_user()).get(f"/alerts/{found.public_id}/").status_code == 404


@pytest.mark.parametrize("path", PAGES)
def test_the_alert_pages_open_for_auditors_and_admins(login, make_user, path):
    assert login(make_user(Role.AUDITOR)).get(path).status_code == 200
    assert login(make_user(Role.ADMIN)).get(path).status_code == 200


# --- the queue -------------------------------------------------------------------------------


def test_the_queue_filters_by_kind_status_severity_and_subject(auditor):
    probing = alert(codes.FORGERY_PROBING, "medium", "invoice", "12")
    enumeration = alert(codes.ENUMERATION, "high", "address", "abc")
    assert rows(auditor.get("/alerts/").content.decode()).keys() == {
        str(probing.public_id),
        str(enumeration.public_id),
    }
    assert rows(auditor.get("/alerts/?kind=forgery_probing").content.decode()).keys() == {
        str(probing.public_id)
    }
    assert rows(auditor.get("/alerts/?severity=high&subject=address").content.decode()).keys() == {
        str(enumeration.public_id)
    }
    assert rows(auditor.get("/alerts/?status=resolved").content.decode()) == {}


def test_the_queue_names_kinds_and_statuses_in_words(auditor):
    alert(codes.DUPLICATE_REIMBURSEMENT)
    html = auditor.get("/alerts/").content.decode()
    assert "重复报销" in html and "待处理" in html and "duplicate_reimbursement<" not in html


def test_a_filter_out_of_the_list_is_a_400_with_the_form_again(auditor):
    page = auditor.get("/alerts/?kind=bogus")
    assert page.status_code == 400 and 'data-error-for="kind"' in page.content.decode()


def test_the_queue_is_paged(auditor):
    for n in range(27):
        alert(key=str(n))
    first = auditor.get("/alerts/").content.decode()
    assert len(rows(first)) == 25 and 'data-action="next-page"' in first
    assert len(rows(auditor.get("/alerts/?page=2").content.decode())) == 2


def test_a_bulk_action_changes_the_ticked_alerts_and_audits_each(auditor, audit_events):
    first, second, untouched = alert(key="1"), alert(key="2"), alert(key="3")
    answer = auditor.post(
        "/alerts/bulk/",
        {"action": "resolve", "alerts": [first.public_id, second.public_id], "next": "/alerts/?status=open"},
    )
    assert answer.status_code == 302 and answer["Location"] == "/alerts/?status=open"
    statuses = dict(Alert.objects.values_list("public_id", "status"))
    assert statuses[first.public_id] == statuses[second.public_id] == "resolved"
    assert statuses[untouched.public_id] == "open"
    resolved = [e for e in audit_events if e["action"] == audit.Action.ALERT_RESOLVE]
    assert len(resolved) == 2


def test_a_bulk_action_without_alerts_or_with_a_bad_id_is_a_400(auditor):
    assert auditor.post("/alerts/bulk/", {"action": "resolve"}).status_code == 400
    assert auditor.post("/alerts/bulk/", {"action": "resolve", "alerts": ["x"]}).status_code == 400
    assert (
        auditor.post("/alerts/bulk/", {"action": "delete", "alerts": [alert().public_id]}).status_code == 400
    )


def test_a_bulk_action_is_404_to_a_taxpayer(login, make_user):
    found = alert()
    answer = login(make_user()).post("/alerts/bulk/", {"action": "resolve", "alerts": [found.public_id]})
    assert answer.status_code == 404 and Alert.objects.get(pk=found.pk).status == "open"


# --- one alert -------------------------------------------------------------------------------


def test_an_alerts_page_links_its_evidence_to_the_verification_pages(auditor, make_user, register):
    check = verify(key_query(register(type="32")), actor=make_user())
    found = alert(codes.FORGERY_PROBING, "medium", "invoice", "1", [check.verification_id])
    html = auditor.get(f"/alerts/{found.public_id}/").content.decode()
    assert f'href="/verifications/{check.verification_id}/"' in html
    assert "疑似伪造试探" in html and 'data-field="occurrences">1<' in html
    for step in ("acknowledge", "assign_me", "assign", "resolve", "false_positive", "note"):
        assert f'data-step="{step}"' in html
    assert 'data-step="reopen"' not in html


def test_opening_an_alert_is_audited(auditor, audit_events):
    found = alert()
    auditor.get(f"/alerts/{found.public_id}/")
    assert audit.Action.ALERT_VIEW in [e["action"] for e in audit_events]


def test_an_unknown_alert_is_a_404(auditor):
    assert auditor.get("/alerts/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_the_workflow_buttons_acknowledge_assign_note_resolve_and_reopen(auditor, audit_events):
    found = alert()
    base = f"/alerts/{found.public_id}"
    assert auditor.post(f"{base}/acknowledge/").status_code == 302
    assert Alert.objects.get(pk=found.pk).status == "acknowledged"
    auditor.post(f"{base}/assign_me/")
    assert Alert.objects.get(pk=found.pk).assignee.display_name == "审计员甲"
    auditor.post(f"{base}/note/", {"text": "已联系开票方核实"})
    assert "已联系开票方核实" in auditor.get(f"{base}/").content.decode()
    auditor.post(f"{base}/resolve/", {"note": "核实无误"})
    assert Alert.objects.get(pk=found.pk).status == "resolved"
    html = auditor.get(f"{base}/").content.decode()
    assert 'data-step="reopen"' in html and 'data-step="resolve"' not in html
    auditor.post(f"{base}/reopen/")
    assert Alert.objects.get(pk=found.pk).status == "open"
    ignored = (audit.Action.ALERT_RAISE, audit.Action.ALERT_VIEW)
    actions = [e["action"] for e in audit_events if e["action"] not in ignored]
    assert actions == [
        audit.Action.ALERT_ACKNOWLEDGE,
        audit.Action.ALERT_ASSIGN,
        audit.Action.ALERT_NOTE,
        audit.Action.ALERT_RESOLVE,
        audit.Action.ALERT_REOPEN,
    ]


def test_an_alert_is_assigned_to_another_auditor_or_called_a_false_positive(auditor, make_user):
    colleague = make_user(Role.AUDITOR, display_name="审计员乙")
    found = alert()
    auditor.post(f"/alerts/{found.public_id}/assign/", {"assignee": colleague.pk})
    assert Alert.objects.get(pk=found.pk).assignee == colleague
    auditor.post(f"/alerts/{found.public_id}/false_positive/", {"note": ""})
    assert Alert.objects.get(pk=found.pk).status == "false_positive"


def test_a_step_that_does_not_apply_is_a_400_in_words(auditor):
    found = alert()
    auditor.post(f"/alerts/{found.public_id}/resolve/")
    answer = auditor.post(f"/alerts/{found.public_id}/acknowledge/")
    assert answer.status_code == 400 and "只有待处理的预警可以确认" in answer.content.decode()
    assert auditor.post(f"/alerts/{found.public_id}/note/", {"text": ""}).status_code == 400
    assert auditor.post(f"/alerts/{found.public_id}/delete/").status_code == 404


def test_a_delivery_is_sent_again_from_the_alerts_page(auditor, audit_events):
    found = alert()
    hook = Webhook.objects.create(name="财务系统", url="http://127.0.0.1:9/hook", secret="s")
    delivery = Delivery.objects.create(webhook=hook, alert=found, status="failed", attempts=5)
    html = auditor.get(f"/alerts/{found.public_id}/").content.decode()
    assert f'data-delivery="{delivery.pk}" data-status="failed"' in html and "财务系统" in html
    answer = auditor.post(f"/alerts/deliveries/{delivery.pk}/redeliver/")
    assert answer.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 0
    assert audit.Action.WEBHOOK_REDELIVER in [e["action"] for e in audit_events]


# --- the dashboard ---------------------------------------------------------------------------


def charts(html: str) -> dict:
    return json.loads(
        re.search(r'<script id="alert-charts" type="application/json">(.*?)</script>', html).group(1)
    )


def test_the_dashboard_counts_verifications_by_day_and_outcome_and_alerts_by_kind(
    auditor, make_user, register
):
    actor, invoice = make_user(), register(type="32")
    verify(key_query(invoice), actor=actor)
    verify(key_query(invoice), actor=actor)
    verify(key_query(invoice, total="1.00"), actor=actor)
    alert(codes.FORGERY_PROBING, key="1")
    alert(codes.FORGERY_PROBING, key="2")
    alert(codes.ENUMERATION)
    html = auditor.get("/alerts/dashboard/").content.decode()
    data = charts(html)
    per_day = {d["key"]: d for d in data["perDay"]["datasets"]}
    assert len(data["perDay"]["labels"]) == 30
    assert per_day["authentic"]["data"][-1] == 2 and per_day["mismatch"]["data"][-1] == 1
    assert per_day["authentic"]["label"] == "查验一致"
    assert (
        "outcome=authentic" in per_day["authentic"]["urls"][-1]
        and "from=" in per_day["authentic"]["urls"][-1]
    )
    assert dict(zip(data["byKind"]["labels"], data["byKind"]["data"], strict=True)) == {
        "疑似伪造试探": 2,
        "疑似批量枚举": 1,
    }
    assert "/alerts/?kind=forgery_probing" in data["byKind"]["urls"]
    assert 'data-chart="perDay"' in html and "chart.umd.min.js" in html


def test_a_drill_down_link_of_the_dashboard_opens_that_days_history(auditor, make_user, register):
    verify(key_query(register(type="32")), actor=make_user())
    data = charts(auditor.get("/alerts/dashboard/").content.decode())
    url = data["perDay"]["datasets"][0]["urls"][-1]
    page = auditor.get(url).content.decode()
    assert page.count('data-outcome="authentic"') == 1


def test_the_riskiest_sellers_are_named_to_auditors(auditor, register):
    from yanpiao.registry.models import Invoice
    from yanpiao.risk.models import InvoiceScore

    invoice = register(type="32")
    row = Invoice.objects.get(number=invoice.number)
    InvoiceScore.objects.create(invoice=row, version=1, score=88)
    html = auditor.get("/alerts/dashboard/").content.decode()
    assert invoice.seller.name in html and charts(html)["sellers"]["data"] == [88]


# --- settings --------------------------------------------------------------------------------


def test_an_auditor_subscribes_to_alert_emails(auditor, auditor_user, audit_events):
    answer = auditor.post(
        "/alerts/settings/", {"subscription-kinds": ["enumeration"], "subscription-min_severity": "high"}
    )
    assert answer.status_code == 302
    subscription = services.subscription_of(auditor_user)
    assert subscription.kinds == ["enumeration"] and subscription.min_severity == "high"
    assert 'data-subscribed="yes"' in auditor.get("/alerts/settings/").content.decode()
    assert audit.Action.ALERT_SUBSCRIPTION_CHANGE in [e["action"] for e in audit_events]


def test_a_subscription_of_an_unknown_kind_is_a_400(auditor):
    answer = auditor.post(
        "/alerts/settings/", {"subscription-kinds": ["bogus"], "subscription-min_severity": "high"}
    )
    assert answer.status_code == 400


def test_an_admin_adds_a_webhook_and_sees_its_secret_once(login, make_user, audit_events):
    admin = login(make_user(Role.ADMIN))
    data = {
        "webhook-name": "财务系统",
        "webhook-url": "https://finance.example.com/hook",
        "webhook-min_severity": "medium",
    }
    html = admin.post("/alerts/settings/webhooks/", data).content.decode()
    secret = Webhook.objects.get().secret
    assert f"<code data-secret>{secret}</code>" in html
    assert secret not in admin.get("/alerts/settings/").content.decode()
    assert audit.Action.WEBHOOK_CREATE in [e["action"] for e in audit_events]


def test_a_webhook_with_a_bad_address_is_refused(login, make_user):
    admin = login(make_user(Role.ADMIN))
    bad = {"webhook-name": "x", "webhook-url": "ftp://example.com/", "webhook-min_severity": "medium"}
    assert admin.post("/alerts/settings/webhooks/", bad).status_code == 400
    assert Webhook.objects.count() == 0


def test_an_auditor_may_not_add_a_webhook(auditor):
    data = {"webhook-name": "x", "webhook-url": "https://example.com/", "webhook-min_severity": "medium"}
    assert auditor.post("/alerts/settings/webhooks/", data).status_code == 404


# --- the navigation's badge ------------------------------------------------------------------


def test_auditors_see_the_open_alerts_count_beside_the_alerts_link(auditor, auditor_user):
    alert(key="1")
    alert(key="2")
    services.resolve(alert(key="3"), auditor_user)
    html = auditor.get("/").content.decode()
    assert 'data-nav="alerts"' in html and 'data-alert-count="2"' in html


def test_taxpayers_have_no_alerts_link(login, make_user):
    alert()
    html = login(make_user()).get("/").content.decode()
    assert 'data-nav="alerts"' not in html and "data-alert-count" not in html


# --- the result page's risk block ------------------------------------------------------------


def test_the_result_shows_the_risk_level_and_reasons_in_words(make_user, register):
    actor = make_user()
    result = verify(key_query(register(type="32")), actor=actor)
    result.risk = Assessment(
        75, (Reason(codes.DUPLICATE_REIMBURSEMENT, "Presented by another organisation.", 75),)
    )
    request = RequestFactory().get("/")
    request.user = actor
    html = render_to_string("web/_result.html", {"result": result, "user": actor}, request=request)
    assert 'data-risk-level="high"' in html and 'data-risk-reason="duplicate_reimbursement"' in html
    assert "可能被重复报销" in html and ">高<" in html and "Presented by" not in html


def test_the_result_page_shows_the_stored_risk(login, make_user, register):
    actor = make_user()
    check = verify(key_query(register(type="32")), actor=actor)
    Verification.objects.filter(public_id=check.verification_id).update(
        risk_score=45, risk_reasons=[{"code": codes.AMOUNT_OUTLIER, "message": "Far outside."}]
    )
    html = login(actor).get(f"/verifications/{check.verification_id}/").content.decode()
    assert 'data-risk-level="medium"' in html and 'data-risk-reason="amount_outlier"' in html


# --- in English --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*PAGES, "alert"])
def test_the_alert_pages_read_in_english(auditor, path):
    from tests.web.test_views import visible_text

    found = alert(codes.DUPLICATE_REIMBURSEMENT)
    path = f"/alerts/{found.public_id}/" if path == "alert" else path
    auditor.cookies["django_language"] = "en"
    text = visible_text(auditor.get(path, headers={"Accept-Language": "en"}).content.decode())
    chinese = re.findall(
        r"[\u4e00-\u9fff]+", text.replace("审计员甲", "").replace("验票", "").replace("中文", "")
    )
    assert chinese == [] and "Alerts" in text, chinese
