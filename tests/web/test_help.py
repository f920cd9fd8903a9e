"""The help pages: the sections, one page in each language, search, staff's forms, the contact page."""

import re

import pytest
from django.test import Client

from yanpiao.accounts.models import Role
from yanpiao.security import audit
from yanpiao.support.models import HelpPage

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3400-\u9fff]")


def results(html: str) -> list[str]:
    return re.findall(r'data-help-result="([\w-]+)"', html)


def article(html: str) -> str:
    return re.search(r"<article data-help-article.*?</article>", html, re.S).group(0)


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def staff(login, make_user):
    return login(make_user(Role.AUDITOR))


def test_the_help_page_lists_each_section_with_its_pages_titles(client):
    html = client.get("/help/").content.decode()
    assert html.count("data-help-section") == 2
    for page in HelpPage.objects.all():
        assert f'data-help-page="{page.slug}"' in html
        assert page.title_zh in html


def test_the_header_links_to_help_for_everyone(client):
    assert 'data-nav="help"' in client.get("/").content.decode()


def test_a_page_reads_in_chinese_by_default_with_its_lists(client):
    html = client.get("/help/which-field/").content.decode()
    page = HelpPage.objects.get(slug="which-field")
    assert page.title_zh in html
    assert "<ul><li>增值税专用发票" in article(html)


def test_a_page_reads_in_english_when_english_is_chosen_with_no_chinese_in_its_text(english):
    for page in HelpPage.objects.all():
        html = english.get(f"/help/{page.slug}/").content.decode()
        assert page.title_en in html
        assert not CJK.search(article(html)), page.slug


def test_a_page_escapes_what_its_body_holds(staff):
    HelpPage.objects.filter(slug="privacy").update(body_zh="<script>alert(1)</script>\n\n- <b>bold</b>")
    html = staff.get("/help/privacy/").content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<li>&lt;b&gt;bold&lt;/b&gt;</li>" in html


def test_an_unknown_or_unpublished_page_is_a_404_except_for_staff(staff):
    HelpPage.objects.filter(slug="privacy").update(published=False)
    visitor = Client()
    assert visitor.get("/help/no-such-page/").status_code == 404
    assert visitor.get("/help/privacy/").status_code == 404
    assert staff.get("/help/privacy/").status_code == 200


# --- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["校验码", "价税合计"])
def test_search_finds_a_chinese_word_and_marks_it(client, query):
    html = client.get("/help/", {"q": query}).content.decode()
    assert results(html)
    assert f"<mark>{query}</mark>" in html


def test_search_finds_english_words_and_ranks_pages_with_them_in_the_title_first(client):
    html = client.get("/help/", {"q": "certificate"}).content.decode()
    found = results(html)
    assert found[0] == "certificates" and len(found) > 1


def test_search_ands_the_terms_of_the_query(client):
    assert results(client.get("/help/", {"q": "校验码 Argon2id"}).content.decode()) == ["privacy"]


def test_search_escapes_the_query_everywhere_it_shows_it(client):
    query = "<img src=x onerror=alert(1)>"
    html = client.get("/help/", {"q": query}).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_search_that_finds_nothing_says_so_and_points_to_the_contact_page_and_a_ticket(client):
    html = client.get("/help/", {"q": "nosuchwordanywhere"}).content.decode()
    assert "data-help-empty" in html and not results(html)
    assert 'href="/help/contact/"' in html and 'href="/tickets/new/"' in html


def test_an_overlong_query_is_a_400_with_the_form(client):
    response = client.get("/help/", {"q": "x" * 101})
    assert response.status_code == 400
    assert 'data-error-for="q"' in response.content.decode()


def test_an_english_reader_finds_pages_by_english_words_and_sees_english_titles(english):
    html = english.get("/help/", {"q": "check code"}).content.decode()
    assert "check-code" in results(html)
    shown = re.sub(r"</?mark>", "", html)
    assert HelpPage.objects.get(slug="check-code").title_en in shown
    assert "<mark>check</mark> <mark>code</mark>" in html


# --- staff's forms ---------------------------------------------------------------------------


FORM = {
    "slug": "invoice-photo",
    "section": "faq",
    "position": "9",
    "title_zh": "怎样拍发票照片？",
    "title_en": "How do I photograph an invoice?",
    "body_zh": "平放，光线充足。",
    "body_en": "Lay it flat, in good light.",
    "published": "on",
}


@pytest.mark.parametrize("path", ["/help/new/", "/help/privacy/edit/"])
def test_the_edit_pages_do_not_exist_for_anyone_but_staff(client, login, make_user, path):
    assert client.get(path).status_code == 404
    assert client.post(path, FORM).status_code == 404
    assert login(make_user()).get(path).status_code == 404
    assert login(make_user(Role.ISSUER)).post(path, FORM).status_code == 404
    assert not HelpPage.objects.filter(slug="invoice-photo").exists()


def test_staff_write_a_new_page_and_it_is_audited(staff, audit_events):
    response = staff.post("/help/new/", FORM)
    assert response.status_code == 302 and response["Location"] == "/help/invoice-photo/"
    assert "Lay it flat" in staff.get("/help/invoice-photo/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert [e["detail"]["slug"] for e in audit_events if e["action"] == audit.Action.HELP_EDIT] == [
        "invoice-photo"
    ]


def test_staff_edit_a_page_in_both_languages_and_it_is_audited(staff, audit_events):
    page = HelpPage.objects.get(slug="privacy")
    form = {**FORM, "slug": "privacy", "section": page.section, "title_zh": "数据与隐私", "published": ""}
    assert staff.get("/help/privacy/edit/").status_code == 200
    assert staff.post("/help/privacy/edit/", form).status_code == 302
    page.refresh_from_db()
    assert page.title_zh == "数据与隐私" and page.body_en == FORM["body_en"] and not page.published
    (event,) = [e for e in audit_events if e["action"] == audit.Action.HELP_EDIT]
    assert "title_zh" in event["detail"]["fields"] and "published" in event["detail"]["fields"]


@pytest.mark.parametrize("slug", ["contact", "new", "check-code", "Not a slug!"])
def test_a_page_cannot_take_a_reserved_a_taken_or_a_malformed_address(staff, slug):
    response = staff.post("/help/new/", {**FORM, "slug": slug})
    assert response.status_code == 400
    assert 'data-error-for="slug"' in response.content.decode()


def test_staff_see_the_edit_link_and_others_do_not(client, staff):
    assert 'data-action="help-edit"' in staff.get("/help/privacy/").content.decode()
    staff.logout()
    assert 'data-action="help-edit"' not in client.get("/help/privacy/").content.decode()


# --- contact ---------------------------------------------------------------------------------


def test_the_contact_page_shows_the_configured_hotline_and_address(client, settings):
    settings.YANPIAO_SUPPORT_HOTLINE = "400-800-1234"
    settings.YANPIAO_SUPPORT_EMAIL = "help@tax.example"
    html = client.get("/help/contact/").content.decode()
    assert 'href="tel:4008001234"' in html and "400-800-1234" in html
    assert 'href="mailto:help@tax.example"' in html
    assert "9:00–17:00" in html and 'href="/tickets/new/"' in html


def test_the_contact_page_has_the_default_hotline(client):
    assert 'href="tel:12366"' in client.get("/help/contact/").content.decode()
