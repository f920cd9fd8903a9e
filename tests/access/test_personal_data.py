"""A user's own data, all of it, and none of anyone else's; the download is audited."""

import json

import pytest
from django.utils import timezone

from tests.factories import confirmed_user
from yanpiao.access import personal_data
from yanpiao.accounts.models import ApiToken
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
