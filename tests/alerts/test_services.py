"""Raising alerts (one per kind, subject and window), working them through, and who may."""

import datetime

import pytest

from tests.factories import key_query
from yanpiao.alerts import services
from yanpiao.alerts.models import MAX_EVIDENCE, Alert, Note, Subscription
from yanpiao.alerts.webhooks import InvalidUrl
from yanpiao.registry.models import Invoice
from yanpiao.risk import codes
from yanpiao.risk.assessment import Assessment, Event, Reason
from yanpiao.risk.models import InvoiceMark
from yanpiao.security import audit

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)
Kind, Status, Subject = Alert.Kind, Alert.Status, Alert.Subject


def probe(key="7", severity="medium", evidence=(), at=NOON):
    return services.raise_alert(
        Kind.FORGERY_PROBING,
        severity,
        Subject.ACCOUNT,
        key,
        "Repeated mismatches on one invoice key.",
        evidence,
        at,
    )


def event(invoice_id=None, actor_id=None, client=None, at=NOON):
    return Event(actor_id, "", client, "web", "mismatch", "", "24112000000244272518", invoice_id, at)


# --- raising ---------------------------------------------------------------------------------------


def test_a_new_alert_is_open_and_audited_without_personal_data(audit_events):
    alert = probe(evidence=["v1"])
    assert (alert.status, alert.occurrences, alert.evidence) == (Status.OPEN, 1, ["v1"])
    [raised] = [e for e in audit_events if e["action"] == audit.Action.ALERT_RAISE]
    assert raised["target"] == audit.target(alert)
    assert raised["detail"] == {
        "kind": "forgery_probing",
        "severity": "medium",
        "subject": "account",
        "alert": str(alert.public_id),
    }


def test_a_repeat_in_the_window_adds_to_the_alert_and_is_not_audited_again(audit_events):
    first = probe(evidence=["v1"])
    again = probe(evidence=["v2", "v1"], at=NOON + datetime.timedelta(hours=3))
    assert again.pk == first.pk and Alert.objects.count() == 1
    assert (again.occurrences, again.evidence) == (3, ["v1", "v2"])
    assert [e["action"] for e in audit_events].count(audit.Action.ALERT_RAISE) == 1


def test_a_repeat_raises_the_severity_but_never_lowers_it():
    probe(severity="medium")
    assert probe(severity="high").severity == "high"
    assert probe(severity="low").severity == "high"


def test_the_next_window_or_another_subject_is_a_new_alert(settings):
    settings.YANPIAO_ALERT_WINDOW_HOURS = 24
    first = probe()
    assert probe(at=NOON + datetime.timedelta(days=1)).pk != first.pk
    assert probe(key="8").pk != first.pk


def test_evidence_is_kept_up_to_the_limit_while_every_occurrence_counts():
    alert = probe(evidence=[f"v{n}" for n in range(MAX_EVIDENCE + 10)])
    assert len(alert.evidence) == MAX_EVIDENCE and alert.occurrences == MAX_EVIDENCE + 10


def test_an_assessment_raises_an_alert_per_reason_above_the_threshold(register):
    register(type="32")
    invoice = Invoice.objects.get()
    assessment = Assessment(
        85,
        (
            Reason(codes.FORGERY_PROBING, "Repeated mismatches.", 85),
            Reason(codes.SELLER_ABNORMAL, "The seller has abnormal invoices.", 75),
            Reason(codes.AMOUNT_OUTLIER, "Far outside the seller's amounts.", 50),  # below 70: no alert
            Reason(codes.MODEL, "Unusual for the model.", 80),  # a model reason needs 90
        ),
    )
    raised = services.raise_for(event(invoice.pk, actor_id=3), assessment, "v1")
    assert {(a.kind, a.subject, a.subject_key, a.severity) for a in raised} == {
        ("forgery_probing", "account", "3", "high"),
        ("seller_abnormal", "seller", str(invoice.seller_id), "high"),
    }


def test_an_anonymous_checks_alert_names_a_digest_of_the_address_never_the_address():
    [alert] = services.raise_for(
        event(client="203.0.113.9"), Assessment(75, (Reason(codes.ENUMERATION, "Many not found.", 75),)), "v1"
    )
    assert (
        alert.subject == "address" and "203.0.113.9" not in alert.subject_key and len(alert.subject_key) == 64
    )


def test_a_batch_chunk_raises_one_alert_per_subject_with_all_its_evidence():
    reason = Reason(codes.DUPLICATE_REIMBURSEMENT, "Presented by another organisation.", 80)
    pairs = [(event(invoice_id=1, actor_id=2), Assessment(80, (reason,)), f"v{n}") for n in range(3)]
    [alert] = services.raise_for_many(pairs)
    assert (alert.subject, alert.subject_key, alert.occurrences, alert.evidence) == (
        "invoice",
        "1",
        3,
        ["v0", "v1", "v2"],
    )


# --- the workflow ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "status", "action"),
    [
        ([services.acknowledge], Status.ACKNOWLEDGED, audit.Action.ALERT_ACKNOWLEDGE),
        ([services.resolve], Status.RESOLVED, audit.Action.ALERT_RESOLVE),
        ([services.false_positive], Status.FALSE_POSITIVE, audit.Action.ALERT_FALSE_POSITIVE),
        ([services.acknowledge, services.resolve], Status.RESOLVED, audit.Action.ALERT_RESOLVE),
        ([services.resolve, services.reopen], Status.OPEN, audit.Action.ALERT_REOPEN),
    ],
)
def test_each_step_moves_the_alert_and_is_audited(auditor, audit_events, steps, status, action):
    alert = probe()
    for step in steps:
        step(alert, auditor)
    assert alert.status == status and Alert.objects.get().status == status
    assert audit_events[-1]["action"] == action and audit_events[-1]["actor"] == auditor
    assert audit_events[-1]["detail"]["status"] == status
    assert (alert.closed_at is not None) == (status in services.CLOSED)


@pytest.mark.parametrize(
    ("before", "step"),
    [
        ([services.acknowledge], services.acknowledge),
        ([services.resolve], services.acknowledge),
        ([services.resolve], services.resolve),
        ([services.false_positive], services.resolve),
        ([], services.reopen),
        ([services.acknowledge], services.reopen),
    ],
)
def test_a_step_that_does_not_apply_is_refused_and_changes_nothing(auditor, before, step):
    alert = probe()
    for done in before:
        done(alert, auditor)
    status = alert.status
    with pytest.raises(services.InvalidTransition):
        step(alert, auditor)
    assert Alert.objects.get().status == status


def test_a_closing_note_is_kept_encrypted_and_out_of_the_log(auditor, audit_events):
    alert = probe()
    services.false_positive(alert, auditor, "张三的测试账号")
    [note] = services.notes_of(alert)
    assert (note.text, note.author) == ("张三的测试账号", auditor)
    assert "张三" not in str(audit_events[-1]["detail"])
    raw = Note.objects.filter(pk=note.pk).values_list("text", flat=True).first()
    assert "张三" not in str(raw)


def test_a_note_is_added_and_audited_without_its_text(auditor, audit_events):
    alert = probe()
    services.add_note(alert, auditor, "called the seller")
    assert [n.text for n in services.notes_of(alert)] == ["called the seller"]
    assert audit_events[-1]["action"] == audit.Action.ALERT_NOTE and "called" not in str(audit_events[-1])
    with pytest.raises(services.InvalidTransition):
        services.add_note(alert, auditor, "   ")


def test_an_alert_is_assigned_to_staff_only_and_not_once_closed(auditor, admin, taxpayer, audit_events):
    alert = probe()
    services.assign(alert, admin, auditor)
    assert Alert.objects.get().assignee == auditor
    assert audit_events[-1]["action"] == audit.Action.ALERT_ASSIGN
    assert audit_events[-1]["detail"]["assignee"] == auditor.pk
    with pytest.raises(services.InvalidTransition):
        services.assign(alert, admin, taxpayer)
    services.resolve(alert, admin)
    with pytest.raises(services.InvalidTransition):
        services.assign(alert, admin, admin)


def test_only_auditors_and_admins_act_on_alerts(taxpayer):
    alert = probe()
    for step in (services.acknowledge, services.resolve, services.false_positive, services.reopen):
        with pytest.raises(services.NotAllowed):
            step(alert, taxpayer)
    with pytest.raises(services.NotAllowed):
        services.add_note(alert, taxpayer, "mine")
    assert Alert.objects.get().status == Status.OPEN


def test_bulk_takes_the_step_where_it_applies(auditor):
    first, second, third = probe(key="1"), probe(key="2"), probe(key="3")
    services.resolve(third, auditor)
    assert services.bulk("acknowledge", [first, second, third], auditor) == 2
    assert sorted(Alert.objects.values_list("status", flat=True)) == [
        "acknowledged",
        "acknowledged",
        "resolved",
    ]
    with pytest.raises(services.InvalidTransition):
        services.bulk("delete", [first], auditor)


def test_the_badge_counts_open_alerts_for_staff_only(auditor, taxpayer):
    probe(key="1"), probe(key="2")
    services.acknowledge(probe(key="3"), auditor)
    assert (services.open_count(auditor), services.open_count(taxpayer)) == (2, 0)


# --- subscriptions and webhooks --------------------------------------------------------------------


def test_a_subscription_replaces_the_last_and_is_audited(auditor, audit_events):
    services.subscribe(auditor, ["model"], "high")
    services.subscribe(auditor, [], "low")
    subscription = Subscription.objects.get()
    assert (subscription.kinds, subscription.min_severity) == ([], "low")
    assert audit_events[-1]["action"] == audit.Action.ALERT_SUBSCRIPTION_CHANGE
    with pytest.raises(ValueError):
        services.subscribe(auditor, ["no_such_kind"])


def test_a_webhook_takes_http_or_https_only_and_its_secret_stays_out_of_the_log(admin, audit_events):
    hook, secret = services.create_webhook(admin, "tax bureau", "https://hooks.example.com/yp?token=abc")
    assert hook.secret == secret and secret.startswith("whsec_")
    assert audit_events[-1]["action"] == audit.Action.WEBHOOK_CREATE
    assert secret not in str(audit_events[-1]) and "token=abc" not in str(audit_events[-1])
    for url in (
        "ftp://example.com/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://",
        "http://u:p@x.com/",
    ):
        with pytest.raises(InvalidUrl):
            services.create_webhook(admin, "bad", url)
    services.update_webhook(hook, admin, active=False, rotate_secret=True)
    hook.refresh_from_db()
    assert not hook.active and hook.secret != secret
    assert audit_events[-1]["action"] == audit.Action.WEBHOOK_CHANGE


# --- what is said of an invoice outside a verification ---------------------------------------------


@pytest.fixture
def checked(register, make_user):
    from yanpiao.verification.services import verify

    verifier = make_user()
    return verifier, verify(key_query(register(type="32")), actor=verifier).verification_id


def test_reporting_an_invoice_marks_it_and_raises_its_alert(checked):
    from yanpiao.feedback import services as feedback
    from yanpiao.feedback.models import Reason as ReportReason

    verifier, verification_id = checked
    feedback.report(verifier, verification_id, ReportReason.DUPLICATE_CLAIM)
    alert = Alert.objects.get(kind=Kind.REPORTED_BY_USER)
    invoice = Invoice.objects.get()
    assert (alert.subject, alert.subject_key, alert.evidence) == (
        "invoice",
        str(invoice.pk),
        [str(verification_id)],
    )
    assert InvoiceMark.objects.get(invoice=invoice).kind == "reported_by_user"


def test_an_altered_certificate_marks_its_invoice_and_raises_its_alert(own_keysets, checked):
    from yanpiao.certificates import services as certificates
    from yanpiao.verification.models import Verification

    verifier, verification_id = checked
    row = Verification.objects.get(public_id=verification_id)
    data = certificates.issue(verifier, row)
    assert certificates.check(data).genuine and not Alert.objects.exists()
    altered = data.replace(b'"outcome": "authentic"', b'"outcome": "authentix"')  # in the signed JSON
    assert certificates.check(altered).status == certificates.ALTERED
    alert = Alert.objects.get(kind=Kind.FORGED_CERTIFICATE)
    assert (alert.subject, alert.severity, alert.evidence) == ("invoice", "high", [str(verification_id)])
    assert InvoiceMark.objects.get(kind="forged_certificate").invoice_id == row.invoice_id


def test_an_unknown_kind_or_severity_is_no_alert():
    with pytest.raises(ValueError):
        services.raise_alert("nothing", "high", "invoice", "1", "…")
    with pytest.raises(ValueError):
        services.raise_alert("model", "dire", "invoice", "1", "…")
    assert not Alert.objects.exists()
