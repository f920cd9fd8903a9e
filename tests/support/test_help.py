"""The help pages' services: the seeded pages, search over both languages, staff's audited edits."""

import re

import pytest
from django.core.exceptions import PermissionDenied

from yanpiao.accounts.models import Role
from yanpiao.security import audit
from yanpiao.support import help
from yanpiao.support.models import HelpPage

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# Each topic the issue names, and a word of it that must occur in both languages' pages.
TOPICS = {
    "register": ("注册", "sign up"),
    "log-in": ("登录", "log in"),
    "verify-by-typing": ("手工输入", "typ"),
    "verify-by-scanning": ("二维码", "qr code"),
    "verify-by-uploading": ("上传", "upload"),
    "which-field": ("价税合计", "total including tax"),
    "check-code": ("校验码", "check code"),
    "read-a-result": ("查验一致", "authentic"),
    "certificates": ("查验凭证", "certificate"),
    "privacy": ("加密", "encrypted"),
}


def titles(hits) -> list[str]:
    return [hit.page.slug for hit in hits]


def test_the_migration_seeds_every_initial_page_published_in_both_languages():
    seeded = {page.slug: page for page in HelpPage.objects.all()}
    for fields in help.initial_pages():
        page = seeded[fields["slug"]]
        assert page.published
        assert page.title_zh and page.body_zh and page.title_en and page.body_en


@pytest.mark.parametrize("slug", TOPICS)
def test_each_topic_of_the_issue_has_a_page_that_speaks_of_it_in_chinese_and_english(slug):
    page = HelpPage.objects.get(slug=slug)
    chinese, english = TOPICS[slug]
    assert chinese in page.title_zh + page.body_zh
    assert english in (page.title_en + page.body_en).lower()


def test_the_which_field_page_names_the_field_of_each_invoice_type():
    page = HelpPage.objects.get(slug="which-field")
    for words in ("金额", "不含税", "校验码后6位", "价税合计", "数电票"):
        assert words in page.body_zh
    for words in ("amount, excluding tax", "last 6 digits of the check code", "total including tax"):
        assert words in page.body_en


def test_the_english_half_of_every_initial_page_holds_no_chinese():
    for fields in help.initial_pages():
        assert not CJK.search(fields["title_en"] + fields["body_en"]), fields["slug"]


def test_the_sections_list_the_faq_before_the_guides_with_their_pages_in_order():
    found = help.sections()
    assert [section for section, _, _ in found] == ["faq", "guide"]
    guides = found[1][2]
    assert [page.position for page in guides] == sorted(page.position for page in guides)


def test_an_unpublished_page_is_found_by_staff_only():
    HelpPage.objects.filter(slug="privacy").update(published=False)
    assert help.page("privacy") is None
    assert help.page("privacy", staff=True).slug == "privacy"
    assert "privacy" not in titles(help.search("Argon2id"))
    assert "privacy" in titles(help.search("Argon2id", staff=True))


# --- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["校验码", "价税合计"])
def test_a_chinese_word_is_found_without_spaces_around_it(query):
    found = titles(help.search(query))
    assert found
    for slug in found:
        page = HelpPage.objects.get(slug=slug)
        assert query in page.title_zh + page.body_zh


def test_a_chinese_phrase_that_does_not_occur_whole_matches_by_its_pieces():
    assert "check-code" in titles(help.search("校验码在哪"))
    assert "check-code" in titles(help.search("哪里校验码"))
    assert "digital-invoice-total" in titles(help.search("数电票价税合计"))
    assert help.search("怎么开发票") == []


def test_english_words_are_found_whatever_their_case():
    assert "certificates" in titles(help.search("PAdES"))
    assert titles(help.search("pades")) == titles(help.search("PAdES"))


def test_the_terms_of_a_query_must_all_occur():
    both = set(titles(help.search("校验码 Argon2id")))
    assert both == {"privacy"}
    assert help.search("校验码 nosuchwordanywhere") == []


def test_pages_with_the_words_in_their_title_rank_first():
    found = help.search("校验码")
    in_title = [hit.page.slug for hit in found if "校验码" in hit.page.title_zh]
    assert in_title and titles(found)[: len(in_title)] == in_title
    assert titles(help.search("certificates"))[0] == "certificates"


def test_a_query_of_spaces_or_of_nothing_finds_nothing():
    assert help.search("   ") == []
    assert help.search("") == []


def test_the_snippet_marks_the_matching_words_and_keeps_the_rest_as_text():
    pieces = help.snippet("Type the last 6 digits of the <b>check code</b>.", "check code")
    assert ("check", True) in pieces and ("code", True) in pieces
    assert "".join(text for text, _ in pieces) == "Type the last 6 digits of the <b>check code</b>."


# --- staff's edits ---------------------------------------------------------------------------


PAGE = {
    "slug": "invoice-photo",
    "section": "faq",
    "position": 9,
    "title_zh": "怎样拍发票照片？",
    "title_en": "How do I photograph an invoice?",
    "body_zh": "平放，光线充足。",
    "body_en": "Lay it flat, in good light.",
    "published": True,
}


def test_an_auditor_creates_a_page_and_it_is_audited(make_user, audit_events):
    auditor = make_user(Role.AUDITOR)
    page = help.create(auditor, PAGE)
    assert page.updated_by == auditor
    assert help.search("photograph")[0].page == page
    (event,) = [e for e in audit_events if e["action"] == audit.Action.HELP_EDIT]
    assert event["target"] == f"support.helppage:{page.pk}"
    assert event["detail"]["slug"] == "invoice-photo" and event["detail"]["created"] is True
    assert "Lay it flat" not in str(event["detail"])


def test_an_admin_edits_a_page_and_the_entry_names_the_changed_fields(make_user, audit_events):
    admin = make_user(Role.ADMIN)
    page = HelpPage.objects.get(slug="privacy")
    changed = help.edit(admin, page, {"title_en": "Your data", "published": False})
    assert changed == ["title_en", "published"]
    page.refresh_from_db()
    assert page.title_en == "Your data" and not page.published and page.updated_by == admin
    (event,) = [e for e in audit_events if e["action"] == audit.Action.HELP_EDIT]
    assert event["detail"] == {"slug": "privacy", "created": False, "fields": ["title_en", "published"]}


def test_an_edit_that_changes_nothing_is_neither_written_nor_audited(make_user, audit_events):
    page = HelpPage.objects.get(slug="privacy")
    assert help.edit(make_user(Role.ADMIN), page, {"title_en": page.title_en}) == []
    assert not [e for e in audit_events if e["action"] == audit.Action.HELP_EDIT]


@pytest.mark.parametrize("role", [Role.TAXPAYER, Role.ISSUER])
def test_nobody_but_staff_writes_a_page(make_user, role):
    with pytest.raises(PermissionDenied):
        help.create(make_user(role), PAGE)
    with pytest.raises(PermissionDenied):
        help.edit(make_user(role), HelpPage.objects.get(slug="privacy"), {"title_en": "x"})


def test_seeding_again_creates_only_the_missing_pages():
    HelpPage.objects.filter(slug="register").delete()
    assert help.seed() == 1
    assert help.seed() == 0
