"""The pages of one record: what each viewer is shown, by the access layer's decisions."""

import pytest

from tests.factories import key_query
from tests.web.test_views import INTERNAL, visible_text
from yanpiao.access.masking import mask
from yanpiao.accounts.models import Role
from yanpiao.fapiao.findings import ERROR, Finding
from yanpiao.verification.models import Channel
from yanpiao.verification.services import verify

pytestmark = pytest.mark.django_db


def test_the_reveal_page_shows_the_value_to_staff_and_is_404_to_others(login, make_user):
    member = make_user(email="lisi@example.com")
    data = {"target": f"accounts.user:{member.pk}", "field": "email", "reason": "核实身份"}
    page = login(make_user(Role.ADMIN)).post("/security/reveal/", data)
    assert page.status_code == 200 and "lisi@example.com" in page.content.decode()
    assert login(make_user()).post("/security/reveal/", data).status_code == 404


def test_a_reveal_without_a_reason_or_of_a_missing_record_is_refused(login, make_user):
    admin = login(make_user(Role.ADMIN))
    member = make_user(email="lisi@example.com")
    no_reason = {"target": f"accounts.user:{member.pk}", "field": "email", "reason": ""}
    assert admin.post("/security/reveal/", no_reason).status_code == 400
    missing = {"target": "accounts.user:999999", "field": "email", "reason": "核实"}
    assert admin.post("/security/reveal/", missing).status_code == 404


def test_a_verification_page_links_the_invoice_only_after_a_match(login, make_user, register):
    actor = make_user()
    invoice = register(type="32")
    client = login(actor)
    authentic = verify(key_query(invoice), actor=actor).verification_id
    mismatch = verify(key_query(invoice, total="1.00"), actor=actor).verification_id
    assert (
        f'href="/invoices/-/{invoice.number}/"' in client.get(f"/verifications/{authentic}/").content.decode()
    )
    page = client.get(f"/verifications/{mismatch}/").content.decode()
    assert 'id="invoice-link"' not in page and 'data-field="total"' in page


# --- the result page -----------------------------------------------------------------------


def test_the_result_page_shows_the_check_in_words(login, make_user, register):
    actor, invoice = make_user(), register(type="32")
    check = verify(key_query(invoice), actor=actor, channel=Channel.WEB)
    page = login(actor).get(f"/verifications/{check.verification_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-outcome="authentic"' in html and f'data-verification="{check.verification_id}"' in html
    text = visible_text(html)
    assert str(check.verification_id) in text and "网页" in text and "(北京时间)" in text
    assert "发票号码" in text and "价税合计" in text and invoice.seller.name in text and "6%" in text
    assert [code for code in INTERNAL if code in text] == [] and ">normal<" not in html
    assert 'data-action="certificate"' in html and f'data-feedback="{check.verification_id}"' in html


def test_the_result_page_shows_the_differences_with_what_was_submitted(login, make_user, register):
    actor = make_user()
    check = verify(key_query(register(type="32"), total="1.00"), actor=actor)
    html = login(actor).get(f"/verifications/{check.verification_id}/").content.decode()
    assert 'data-outcome="mismatch"' in html
    assert (
        '<tr data-field="total" class="differs"><th scope="row">价税合计</th><td data-value="submitted">1.00</td>'
        in html
    )


def test_staff_see_the_differences_of_anothers_check_masked(client, login, make_user, register):
    actor = make_user()
    check = verify(key_query(register(type="32"), total="1.00"), actor=actor)
    html = login(make_user(Role.AUDITOR)).get(f"/verifications/{check.verification_id}/").content.decode()
    assert (
        '<tr data-field="total" class="differs"><th scope="row">价税合计</th><td data-value="submitted">***</td>'
        in html
    )


def test_the_result_page_explains_what_the_document_showed(login, make_user, register):
    actor = make_user()
    found = Finding("document.test_environment", "document", ERROR, "issued by 税务测试 CA")
    check = verify(key_query(register(type="32")), actor=actor, document_findings=[found])
    html = login(actor).get(f"/verifications/{check.verification_id}/").content.decode()
    assert 'data-outcome="invalid"' in html and 'data-rule="document.test_environment"' in html
    assert "税务测试环境" in visible_text(html) and "issued by" not in html


def test_staff_see_the_invoice_of_anothers_check_masked(login, make_user, register):
    invoice = register(type="32")
    check = verify(key_query(invoice), actor=make_user())
    html = login(make_user(Role.AUDITOR)).get(f"/verifications/{check.verification_id}/").content.decode()
    assert 'data-outcome="authentic"' in html and "data-invoice" in html
    assert invoice.seller.tax_id not in html and mask(invoice.seller.tax_id, "tax_id") in html


def test_the_result_page_is_404_to_an_outsider_and_asks_a_visitor_to_log_in(
    client, login, make_user, register
):
    check = verify(key_query(register(type="32")), actor=make_user())
    url = f"/verifications/{check.verification_id}/"
    assert client.get(url)["Location"].startswith("/accounts/login/")
    assert login(make_user()).get(url).status_code == 404
