"""The translation catalogues: complete, compilable, and what the site's language switch uses."""

import polib
import pytest
from django.test import Client
from django.urls import reverse

from yanpiao import translations

CATALOGUES = sorted(translations.LOCALE.glob("*/LC_MESSAGES/*.po"))


def test_there_is_an_english_catalogue():
    assert translations.LOCALE / "en" / "LC_MESSAGES" / "django.po" in CATALOGUES


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_every_message_is_translated_and_none_is_fuzzy(path):
    catalogue = polib.pofile(str(path))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []


def test_a_translation_that_drops_a_placeholder_is_refused(tmp_path):
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalogue = polib.POFile()
    catalogue.append(polib.POEntry(msgid="共 %(count)s 张", msgstr="invoices"))
    catalogue.save(str(folder / "django.po"))
    with pytest.raises(SystemExit, match="placeholders"):
        translations.compile_catalogues(tmp_path)


def test_compiling_writes_a_catalogue_django_can_read(tmp_path):
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalogue = polib.POFile()
    catalogue.append(polib.POEntry(msgid="查验", msgstr="Verify"))
    catalogue.save(str(folder / "django.po"))
    [written] = translations.compile_catalogues(tmp_path)
    assert polib.mofile(str(written)).find("查验").msgstr == "Verify"
    assert translations.compile_catalogues(tmp_path) == []  # up to date: not written again


def html_lang(response) -> str:
    return response.content.decode().split("<html lang=", 1)[1].split(">", 1)[0].strip('"')


@pytest.mark.django_db
def test_the_site_is_chinese_unless_the_visitor_asks_for_english():
    assert html_lang(Client().get(reverse("web:home"))) == "zh-Hans"
    english = Client(headers={"Accept-Language": "en"}).get(reverse("web:home"))
    assert html_lang(english) == "en" and 'data-nav="login">Log in<' in english.content.decode()


@pytest.mark.django_db
def test_the_language_switch_sticks_across_pages():
    client = Client()
    switched = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert switched.status_code == 302
    assert html_lang(client.get(reverse("web:home"))) == "en"
    assert html_lang(client.get(reverse("accounts:login"))) == "en"
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert html_lang(client.get(reverse("web:home"))) == "zh-Hans"
