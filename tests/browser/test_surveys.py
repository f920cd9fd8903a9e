"""A survey in the browser: staff build and send it, the invitation arrives by e-mail (aiosmtpd)
and SMS (outbox), the invitee answers from the mailed link, the result counts one response, and
a second submission is refused; on a phone, with no serious accessibility problem."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.alerts.conftest import smtp, worker  # noqa: F401 (fixtures)
from yanpiao.accounts.models import Role
from yanpiao.support.models import Response

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_page(open_context, sign_in, make_user):
    context = open_context("phone")
    sign_in(context, make_user(Role.AUDITOR, email="auditor@example.com"))
    return context.new_page()


def test_a_survey_is_sent_answered_once_and_counted(
    staff_page,
    open_context,
    site,
    smtp,  # noqa: F811 (the fixture imported above)
    worker,  # noqa: F811
    settings,
    tmp_path,
    axe,  # noqa: F811
):
    settings.YANPIAO_OUTBOX = tmp_path / "outbox"
    settings.YANPIAO_SMS_BACKEND = "yanpiao.accounts.outbox.OutboxSmsBackend"
    factories.confirmed_user(email="invitee@example.com", phone="13800138000", password=None)
    page = staff_page
    page.goto("/surveys/new/")
    page.fill("#id_title", "满意度调查")
    page.fill("#q-0-text", "您满意吗？")
    page.fill("#q-0-choices", "满意\n不满意")
    page.click('[data-action="add-question"]')
    page.select_option("#q-1-kind", "rating")
    page.fill("#q-1-text", "打个分")
    blocking, report = axe(page)
    assert not blocking, report
    page.click('[data-action="save-survey"]')
    page.click('[data-action="send-survey"]')
    expect(page.locator("[data-invited]")).to_have_text("1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    worker()
    [mail] = smtp.messages
    link = re.search(re.escape(site) + r"(/surveys/respond/\S+/)", mail.get_content()).group(1)
    assert "/surveys/respond/" in next((tmp_path / "outbox" / "sms").glob("*.txt")).read_text()

    invitee_context = open_context("phone")
    invitee, second_tab = invitee_context.new_page(), invitee_context.new_page()
    invitee.goto(link)
    second_tab.goto(link)  # the form open twice: the second submission must be refused
    blocking, report = axe(invitee)
    assert not blocking, report
    invitee.check("#a-1-1")
    invitee.check("#a-2-4")
    invitee.click('[data-action="submit-survey"]')
    expect(invitee.locator('[data-answered="thanks"]')).to_be_visible()
    second_tab.check("#a-1-2")
    second_tab.check("#a-2-1")
    second_tab.click('[data-action="submit-survey"]')
    expect(second_tab.locator('[data-answered="already"]')).to_be_visible()
    invitee.goto(link)
    expect(invitee.locator('[data-answered="already"]')).to_be_visible()

    page.reload()
    expect(page.locator("[data-answered]")).to_have_text("1")
    assert Response.objects.count() == 1
    blocking, report = axe(page)
    assert not blocking, report
