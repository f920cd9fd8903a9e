"""Risk on every check: the verification service scores each check, every channel reports it, the
history keeps it, and what matters becomes an alert once the check has committed — while an
organisation's ordinary work raises none."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest

from tests import factories
from tests.batches.test_services import table
from tests.factories import key_query
from yanpiao import cli
from yanpiao.accounts import organisations, tokens
from yanpiao.alerts.models import Alert
from yanpiao.batches import chunks, results
from yanpiao.batches import services as batches
from yanpiao.demo import fill
from yanpiao.registry import services as registry
from yanpiao.registry.models import Invoice, Status
from yanpiao.risk import codes, learning
from yanpiao.verification import services
from yanpiao.verification.models import Verification

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(make_user):
    """A finance clerk of an organisation (her checks present invoices for reimbursement)."""
    organisation = organisations.create_organisation("甲公司报销中心", factories.tax_id(4242))
    return make_user(organisation=organisation)


def test_a_check_carries_its_risk_and_the_history_keeps_it(register, clerk):
    voided = register(type="01")
    registry.void(voided.key)
    result = services.verify(key_query(voided), actor=clerk)
    assert result.outcome == "voided"
    answer = result.to_json()["risk"]
    assert answer["level"] == codes.HIGH
    assert [reason["code"] for reason in answer["reasons"]] == [codes.INVALID_STATUS_PRESENTED]
    stored = Verification.objects.get(public_id=result.verification_id)
    assert (stored.risk_score, stored.risk_reasons) == (answer["score"], answer["reasons"])


def test_the_api_answers_with_the_risk(client, register, clerk):
    invoice = register(type="32")
    _, secret = tokens.create_token(clerk, "app", ["verify"])
    answer = client.post(
        "/api/v1/verifications",
        key_query(invoice).to_json(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.status_code == 200
    assert answer.json()["risk"] == {"score": 0, "level": "low", "reasons": []}


@pytest.mark.django_db(transaction=True)
def test_the_command_line_answers_with_the_risk(capsys, register):
    invoice = register(type="01")
    registry.flag_abnormal(invoice.key)
    query = key_query(invoice)
    code = cli.main(
        ["verify", "--code", query.code, "--number", query.number, "--date", query.issue_date]
        + ["--amount", query.amount, "--json"]
    )
    assert code == 1
    risk = json.loads(capsys.readouterr().out)["risk"]
    assert risk["level"] == codes.HIGH and risk["reasons"][0]["code"] == codes.INVALID_STATUS_PRESENTED


def test_a_batch_result_file_has_each_rows_risk(tmp_path, register, clerk):
    genuine, voided = register(type="04"), register(type="04")
    registry.void(voided.key)
    batch = batches.create(clerk, table(tmp_path / "rows.csv", [key_query(genuine), key_query(voided)]))
    chunks.work(batch.pk)
    batch.refresh_from_db()
    stream = io.BytesIO()
    results.write(batch, "csv", stream)
    lines = list(csv.DictReader(io.StringIO(stream.getvalue().decode("utf-8-sig"))))
    assert [(line["outcome"], line["risk_level"]) for line in lines] == [
        ("authentic", "low"),
        ("voided", "high"),
    ]
    assert lines[1]["risk_reasons"].startswith(f"{codes.INVALID_STATUS_PRESENTED}: ")


def test_probing_one_invoice_raises_an_alert_once_the_checks_commit(
    register, make_user, django_capture_on_commit_callbacks
):
    invoice = register(type="01")
    prober = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        for cents in range(1, 6):
            wrong = key_query(invoice, amount=str(invoice.amount + Decimal(cents) / 100))
            assert services.verify(wrong, actor=prober, channel="api").outcome == "mismatch"
    [alert] = Alert.objects.all()
    assert (alert.kind, alert.subject, alert.subject_key) == (
        codes.FORGERY_PROBING,
        "account",
        str(prober.pk),
    )


def test_an_organisation_checking_a_few_hundred_genuine_invoices_raises_no_alert(
    clerk, django_capture_on_commit_callbacks
):
    """On a demo registry with a trained model: 300 distinct normal invoices, one typed wrong
    at first and corrected at the next try."""
    fill.fill(3000, seed=1, end_date=datetime.date(2026, 6, 30))
    learning.train()
    ids = list(Invoice.objects.filter(status=Status.NORMAL).order_by("?").values_list("id", flat=True)[:300])
    with django_capture_on_commit_callbacks(execute=True):
        for index, invoice in enumerate(registry.invoices_by_id(ids)):
            if index == 100:
                typo = key_query(invoice, issue_date="2020-01-01")
                assert services.verify(typo, actor=clerk).outcome == "mismatch"
            assert services.verify(key_query(invoice), actor=clerk).outcome == "authentic"
    assert Verification.objects.filter(actor=clerk).count() == 301
    assert not Alert.objects.exists()


def test_a_check_stands_and_is_answered_when_its_alert_cannot_be_raised(
    register, make_user, monkeypatch, django_capture_on_commit_callbacks
):
    from yanpiao.alerts import services as alert_services

    def broken(*args, **kwargs):
        raise RuntimeError("the alerts table is gone")

    monkeypatch.setattr(alert_services, "raise_for", broken)
    voided = register(type="01")
    registry.void(voided.key)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.verify(key_query(voided), actor=make_user())
    assert result.outcome == "voided" and result.risk.level == codes.HIGH
    assert Verification.objects.filter(public_id=result.verification_id).exists()
