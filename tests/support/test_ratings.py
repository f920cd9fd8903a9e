"""Ratings per aspect: a result rated with aspects, and the staff's averages and weekly trends
per aspect and per channel (results by their verification's channel, tickets as ``ticket``)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import key_query
from yanpiao.access.visibility import NotVisible
from yanpiao.accounts.models import Role
from yanpiao.feedback import services
from yanpiao.feedback.models import Rating
from yanpiao.support import ratings
from yanpiao.support.models import Ticket, TicketRating
from yanpiao.verification.models import Channel
from yanpiao.verification.services import verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def verifier(make_user):
    return make_user()


def check(register, verifier, channel=Channel.WEB):
    return verify(key_query(register(type="32")), actor=verifier, channel=channel).verification_id


def test_a_result_is_rated_per_aspect(register, verifier):
    rating = services.rate(verifier, check(register, verifier), 4, "", {"speed": 5, "accuracy": "3"})
    assert (rating.speed, rating.accuracy, rating.ease_of_use, rating.service) == (5, 3, None, None)


def test_aspects_are_optional_and_checked(register, verifier):
    verification_id = check(register, verifier)
    assert services.rate(verifier, verification_id, 2).speed is None
    for wrong in ({"speed": 6}, {"speed": 0}, {"taste": 3}):
        with pytest.raises(ValidationError):
            services.rate(verifier, verification_id, 2, "", wrong)
    assert Rating.objects.get().score == 2


def ticket_rating(owner, **scores):
    now = timezone.now()
    ticket = Ticket.objects.create(
        owner=owner, category="question", subject="发票", due_at=now, status="closed"
    )
    return TicketRating.objects.create(ticket=ticket, **scores)


def test_staff_see_averages_per_aspect_and_channel(register, verifier, make_user):
    services.rate(verifier, check(register, verifier), 5, "", {"speed": 5, "accuracy": 4})
    services.rate(verifier, check(register, verifier, Channel.API), 3, "", {"speed": 3})
    ticket_rating(verifier, speed=1, service=2)
    found = ratings.summary(make_user(Role.AUDITOR))
    assert found["count"] == 3
    assert found["aspects"]["speed"] == {"average": 3.0, "count": 3}
    assert found["aspects"]["ease_of_use"] == {"average": None, "count": 0}
    assert found["channels"]["web"] == {
        "count": 1,
        "aspects": {"speed": 5.0, "accuracy": 4.0, "ease_of_use": None, "service": None},
    }
    assert found["channels"]["ticket"]["aspects"]["service"] == 2.0
    assert found["channels"]["api"]["count"] == 1


def test_the_trend_averages_each_week(register, verifier, make_user):
    services.rate(verifier, check(register, verifier), 5, "", {"speed": 4})
    old = ticket_rating(verifier, speed=2)
    TicketRating.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(weeks=1))
    ticket_rating(verifier, speed=2)
    found = ratings.summary(make_user(Role.ADMIN))
    assert len(found["weeks"]) == ratings.WEEKS
    assert found["trend"]["speed"][-1] == 3.0 and found["trend"]["speed"][-2] == 2.0
    assert found["trend"]["speed"][0] is None


def test_only_staff_see_the_summary(verifier):
    with pytest.raises(NotVisible):
        ratings.summary(verifier)
