"""The help pages (``/help/``): the FAQ and the guides, one page in the reader's language, search,
the contact page, and staff's forms to write a page.

Thin adapters of :mod:`yanpiao.support.help`.  The reader's language is the site's
(``get_language()``).  A page's body is cut into paragraphs and lists by ``help.blocks`` and
every word is escaped by the template; search hits come as ``(text, matched)`` pieces that the
template wraps in ``<mark>``.  The edit pages exist only for auditors and admins: anyone else,
signed in or not, gets a 404 as for a page that does not exist.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from yanpiao.access import visibility
from yanpiao.support import help
from yanpiao.web.errors import error_page
from yanpiao.web.help_forms import HelpPageForm, SearchForm

TICKET_PATH = "/tickets/new/"  # opening a ticket (another page of the support area)


def _staff(request) -> bool:
    return visibility.is_staff(request.user)


def _require_staff(request) -> None:
    if not _staff(request):
        raise visibility.NotVisible("no such page")


def _language() -> str:
    return help.language_of(get_language())


def _entry(page, language: str) -> dict:
    return {"page": page, "title": help.title_of(page, language)}


@require_safe
def help_index(request):
    """The sections with their pages' titles; with ``?q=`` the pages found, best first."""
    form = SearchForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "query": "", "sections": [], "searched": False, "tickets": TICKET_PATH}
        return render(request, "web/help/index.html", context, status=400)
    query, staff, language = form.cleaned_data["q"], _staff(request), _language()
    context = {"form": form, "query": query, "staff": staff, "tickets": TICKET_PATH, "searched": bool(query)}
    if query:
        other = "zh" if language == "en" else "en"
        results = []
        for hit in help.search(query, staff):
            page = hit.page
            # The reader's language when the match is there; else the other one's words, marked as such.
            shown = (
                language
                if help.matches(help.title_of(page, language) + help.body_of(page, language), query)
                else other
            )
            results.append(
                {
                    "page": page,
                    "title": help.marked(help.title_of(page, language), query),
                    "snippet": help.snippet(help.body_of(page, shown), query),
                    "snippet_lang": "" if shown == language else ("en" if shown == "en" else "zh-Hans"),
                }
            )
        context["results"] = results
    else:
        context["sections"] = [
            (label, [_entry(page, language) for page in pages]) for _, label, pages in help.sections(staff)
        ]
    return render(request, "web/help/index.html", context)


@require_safe
def help_page(request, slug: str):
    """One page in the reader's language."""
    staff = _staff(request)
    page = help.page(slug, staff)
    if page is None:
        raise visibility.NotVisible("no such help page")
    language = _language()
    context = {
        "page": page,
        "title": help.title_of(page, language),
        "blocks": help.blocks(help.body_of(page, language)),
        "staff": staff,
        "tickets": TICKET_PATH,
    }
    return render(request, "web/help/page.html", context)


def _edit(request, page=None):
    form = HelpPageForm(request.POST or None, instance=page)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "web/help/edit.html", {"form": form, "page": page}, status=400)
        if page is None:
            page = help.create(request.user, form.fields_given())
            messages.success(request, gettext("帮助页面已创建。"))
        else:
            changed = help.edit(request.user, page, form.fields_given())
            messages.success(
                request, gettext("帮助页面已保存。") if changed else gettext("没有需要保存的修改。")
            )
        return redirect("web:help_page", slug=page.slug)
    if request.method not in ("GET", "HEAD"):
        return error_page(request, 400)
    return render(request, "web/help/edit.html", {"form": form, "page": page})


@never_cache
def help_edit(request, slug: str):
    """Staff change a page (both languages, the published flag); audited."""
    _require_staff(request)
    page = help.page(slug, staff=True)
    if page is None:
        raise visibility.NotVisible("no such help page")
    return _edit(request, page)


@never_cache
def help_new(request):
    """Staff write a new page; audited."""
    _require_staff(request)
    return _edit(request)


@require_safe
def contact(request):
    """The support hotline and address, the working hours, and where to open a ticket."""
    context = {
        "hotline": settings.YANPIAO_SUPPORT_HOTLINE,
        "hotline_link": "".join(c for c in settings.YANPIAO_SUPPORT_HOTLINE if c.isdigit() or c == "+"),
        "email": settings.YANPIAO_SUPPORT_EMAIL,
        "tickets": TICKET_PATH,
    }
    return render(request, "web/help/contact.html", context)


urlpatterns = [
    path("", help_index, name="help"),
    path("contact/", contact, name="help_contact"),
    path("new/", help_new, name="help_new"),
    path("<slug:slug>/", help_page, name="help_page"),
    path("<slug:slug>/edit/", help_edit, name="help_edit"),
]
