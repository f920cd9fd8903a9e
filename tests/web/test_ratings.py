"""The result page's rating with aspects, and the staff's ratings dashboard."""

import pytest

from tests.factories import key_query
from yanpiao.accounts.models import Role
from yanpiao.feedback.models import Rating
from yanpiao.verification.services import verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def checked(register, make_user):
    verifier = make_user()
    return verifier, verify(key_query(register(type="32")), actor=verifier).verification_id


def test_the_rating_form_offers_each_aspect_as_a_radio_group(checked, login):
    verifier, verification_id = checked
    html = login(verifier).get(f"/verifications/{verification_id}/").content.decode()
    for aspect in ("speed", "accuracy", "ease_of_use", "service"):
        assert f'data-aspect="{aspect}"' in html and f'name="{aspect}" value="5"' in html


def test_a_result_is_rated_with_aspects(checked, login):
    verifier, verification_id = checked
    answer = login(verifier).post(
        f"/verifications/{verification_id}/rate/", {"score": "4", "speed": "5", "service": "", "comment": ""}
    )
    assert answer.status_code == 302
    assert (Rating.objects.get().speed, Rating.objects.get().service) == (5, None)


def test_a_wrong_aspect_score_is_refused(checked, login):
    verifier, verification_id = checked
    answer = login(verifier).post(f"/verifications/{verification_id}/rate/", {"score": "4", "speed": "9"})
    assert answer.status_code == 400 and not Rating.objects.exists()


def test_staff_see_the_dashboard_and_others_404(checked, login, make_user):
    verifier, verification_id = checked
    login(verifier).post(f"/verifications/{verification_id}/rate/", {"score": "4", "speed": "5"})
    assert login(verifier).get("/ratings/").status_code == 404
    html = login(make_user(Role.AUDITOR)).get("/ratings/").content.decode()
    assert 'data-channel="cli"' in html and 'data-average="5.0"' in html and 'id="ratings-charts"' in html
