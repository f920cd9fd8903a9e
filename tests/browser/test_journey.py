"""A whole visit in the browser: sign up, confirm by mail, log in, verify, find the check again, keep its certificate."""

import pytest

from tests import factories
from yanpiao.accounts.models import User
from yanpiao.certificates import services as certificates
from yanpiao.fapiao.invoice import format_amount
from yanpiao.verification.models import Verification

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "li.na@example.com"


def test_a_new_user_verifies_an_invoice_and_downloads_a_genuine_certificate(
    page, register, mailed_link, tmp_path
):
    invoice = register(factories.invoice("32"))

    page.goto("/")
    page.locator("[data-nav=signup]").click()
    page.fill("#id_login", EMAIL)
    page.fill("#id_password1", factories.PASSWORD)
    page.fill("#id_password2", factories.PASSWORD)
    page.check("#id_consent")
    page.press("#id_password2", "Enter")
    page.wait_for_load_state()

    page.goto(mailed_link(EMAIL))
    page.locator('[data-action="confirm-email"]').click()  # opening the link alone confirms nothing
    page.wait_for_load_state()

    page.goto("/")
    page.locator("[data-nav=login]").click()
    page.fill("#id_username", EMAIL)
    page.fill("#id_password", factories.PASSWORD)
    page.press("#id_password", "Enter")
    page.locator("[data-nav=logout]").wait_for()

    page.goto("/")
    page.fill("#id_number", invoice.number)
    page.fill("#id_issue_date", invoice.issue_date.isoformat())
    page.fill("#id_total", format_amount(invoice.total))
    page.press("#id_total", "Enter")
    page.locator('[data-outcome="authentic"]').first.wait_for()

    checked = str(Verification.objects.get(actor=User.objects.find_by_login(EMAIL)).public_id)
    page.locator("[data-nav=history]").click()
    page.locator(f'[data-row="{checked}"] [data-action="open"]').click()
    page.wait_for_url(f"**/verifications/{checked}/")
    page.locator('[data-outcome="authentic"]').first.wait_for()

    with page.expect_download() as download:
        page.locator('[data-action="certificate"]').first.click()
    saved = tmp_path / "certificate.pdf"
    download.value.save_as(saved)
    check = certificates.check(saved.read_bytes())
    assert check.status == certificates.GENUINE, check.message
    assert check.certifies["verification_id"] == checked
    assert check.certifies["outcome"] == "authentic"
