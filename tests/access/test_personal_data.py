"""A user's own data, all of it, and none of anyone else's; the download is audited."""

import json
from unittest.mock import ANY

import pytest
from django.utils import timezone

from tests.factories import confirmed_user
from yanpiao.access import personal_data
from yanpiao.accounts.models import ApiToken
from yanpiao.accounts.services import delete_account
from yanpiao.feedback.models import Rating, SuspiciousReport
from yanpiao.security.models import AuditEntry
from yanpiao.verification.models import Verification

pytestmark = pytest.mark.django_db


def history(actor, outcome="authentic"):
    return Verification.objects.create(
        actor=actor, channel="web", submitted={"number": "00000001"}, outcome=outcome
    )


def test_export_holds_the_users_own_data():
    user = confirmed_user(email="a@example.com", phone="13800138000", display_name="李娜")
    other = confirmed_user(email="b@example.com")
    mine = history(user)
    history(other, "not_found")
    ApiToken.objects.create(
        user=user,
        name="手机",
        prefix="yp_abcde",
        digest="0" * 64,
        expires_at=timezone.now(),
        scopes=["verify"],
    )
    data = json.loads(json.dumps(personal_data.export_user_data(user)))
    assert data["profile"]["email"] == "a@example.com" and data["profile"]["phone"] == "13800138000"
    assert [row["id"] for row in data["verifications"]] == [str(mine.public_id)]
    assert data["api_tokens"][0]["name"] == "手机" and "digest" not in data["api_tokens"][0]
    assert "b@example.com" not in json.dumps(data)
    assert AuditEntry.objects.filter(action="account.data_export", target=f"accounts.user:{user.pk}").exists()


def test_export_holds_the_users_ratings_and_reports_with_what_they_wrote():
    user, other = confirmed_user(email="a@example.com"), confirmed_user(email="b@example.com")
    mine, theirs = history(user), history(other)
    Rating.objects.create(verification=mine, rater=user, score=4, comment="很快")
    SuspiciousReport.objects.create(verification=mine, reporter=user, reason="forged", details="纸质票不同")
    Rating.objects.create(verification=theirs, rater=other, score=1, comment="别人的意见")
    data = json.loads(json.dumps(personal_data.export_user_data(user)))
    assert data["ratings"] == [
        {"verification": str(mine.public_id), "score": 4, "comment": "很快", "created_at": ANY}
    ]
    assert [(r["reason"], r["details"]) for r in data["suspicious_reports"]] == [("forged", "纸质票不同")]
    assert "别人的意见" not in json.dumps(data, ensure_ascii=False)


def test_a_deleted_account_leaves_its_ratings_and_reports_without_its_words():
    user = confirmed_user(email="a@example.com")
    mine = history(user)
    Rating.objects.create(verification=mine, rater=user, score=2, comment="我是李娜，电话 13800138000")
    SuspiciousReport.objects.create(verification=mine, reporter=user, reason="other", details="李娜")
    delete_account(user)
    rating, report = Rating.objects.get(), SuspiciousReport.objects.get()
    assert (rating.rater, rating.score, rating.comment) == (None, 2, "")
    assert (report.reporter, report.reason, report.details) == (None, "other", "")
