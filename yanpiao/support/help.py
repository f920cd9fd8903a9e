"""Help pages: the FAQ and the guides by section, one page by its slug, search, and staff's edits.

A page is written twice, in Chinese and in English (``title_zh``/``body_zh``, ``title_en``/
``body_en``); :func:`language_of` picks the reader's half from the site's language code.  The body
is plain text with a little structure, read by :func:`blocks`: paragraphs separated by a blank
line, lists of lines starting ``- `` (bullets) or ``1. `` (numbered), ``## `` for a subheading.  No
markup is ever taken from the database: templates escape every word.

**Search** (:func:`search`) runs in Python over both languages of every published page (they are
few).  The query is cut into terms at spaces and where Chinese meets other characters; every term
must occur (AND).  Chinese needs no spaces: a run of Chinese characters matches as a substring
(``校验码``, ``价税合计``) or, when the run does not occur whole, by its two-character pieces
(all but one in four must occur: ``数电票价税合计`` finds the page about both).  Hits in a title rank first.  :func:`snippet` cuts the matching part of a body into
``(text, matched)`` pieces, so that a template marks the matches without trusting any text.

**Edits** (:func:`create`, :func:`edit`) are staff's only (auditors and admins), each one
transaction with its audit entry ``help.edit`` (the slug and the names of the changed fields,
never the text).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from yanpiao import dbapi
from yanpiao.access import visibility
from yanpiao.security import audit
from yanpiao.support.models import HelpPage

INITIAL_PAGES = Path(__file__).resolve().parent / "content" / "help_pages.json"
EDITABLE = ("slug", "section", "position", "title_zh", "title_en", "body_zh", "body_en", "published")
# Paths under /help/ that are pages of their own, never a help page's slug.
RESERVED_SLUGS = ("contact", "new")
MAX_QUERY = 100  # characters of a search query
MAX_TERMS = 10
SNIPPET = 80  # characters of body around the first match

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TERM = re.compile(rf"[{_CJK}]+|[^\s{_CJK}]+")
_CHINESE = re.compile(rf"[{_CJK}]")


def language_of(code: str | None) -> str:
    """``en`` for an English language code, ``zh`` for anything else (the site's default).

    >>> language_of("en"), language_of("en-gb"), language_of("zh-hans"), language_of(None)
    ('en', 'en', 'zh', 'zh')
    """
    return "en" if (code or "").lower().startswith("en") else "zh"


def title_of(page: HelpPage, language: str) -> str:
    return page.title_en if language == "en" else page.title_zh


def body_of(page: HelpPage, language: str) -> str:
    return page.body_en if language == "en" else page.body_zh


# --- reading -------------------------------------------------------------------------------------


def _visible(staff: bool):
    pages = HelpPage.objects.all()
    return pages if staff else pages.filter(published=True)


def sections(staff: bool = False) -> list[tuple[str, str, list[HelpPage]]]:
    """``(section, its words, its pages in order)`` for each section that has a page; staff see
    unpublished pages too."""
    pages = list(_visible(staff).order_by("section", "position", "slug"))
    return [
        (section, label, [page for page in pages if page.section == section])
        for section, label in HelpPage.Section.choices
        if any(page.section == section for page in pages)
    ]


def page(slug: str, staff: bool = False) -> HelpPage | None:
    """The page of ``slug``, or None (an unpublished one is staff's only)."""
    return _visible(staff).filter(slug=slug).first()


@dataclass(frozen=True)
class Block:
    """A piece of a page's body: ``kind`` is ``p``, ``h`` (subheading), ``ul`` or ``ol``."""

    kind: str
    lines: tuple[str, ...]


_BULLET = re.compile(r"^\s*[-*•]\s+")
_NUMBERED = re.compile(r"^\s*\d+[.、)]\s*")


def blocks(body: str) -> list[Block]:
    """A body's paragraphs, subheadings and lists, in order.

    >>> blocks("Hello\\nworld\\n\\n- one\\n- two\\n\\n1. first\\n2. second\\n\\n## Next")
    ... # doctest: +NORMALIZE_WHITESPACE
    [Block(kind='p', lines=('Hello', 'world')), Block(kind='ul', lines=('one', 'two')),
     Block(kind='ol', lines=('first', 'second')), Block(kind='h', lines=('Next',))]
    """
    found = []
    for chunk in re.split(r"\n\s*\n", body.replace("\r\n", "\n").strip()):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        if not lines:
            continue
        if len(lines) == 1 and lines[0].startswith("## "):
            found.append(Block("h", (lines[0][3:].strip(),)))
        elif all(_BULLET.match(line) for line in lines):
            found.append(Block("ul", tuple(_BULLET.sub("", line) for line in lines)))
        elif all(_NUMBERED.match(line) for line in lines):
            found.append(Block("ol", tuple(_NUMBERED.sub("", line) for line in lines)))
        else:
            found.append(Block("p", tuple(lines)))
    return found


# --- search --------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Full-width characters folded (NFKC) and case folded, keeping each character's position
    for the common case; used on the query and on the text alike."""
    return unicodedata.normalize("NFKC", text).casefold()


def terms(query: str) -> list[str]:
    """The search terms of a query: cut at spaces and where Chinese meets other characters.

    >>> terms("数电票 OFD"), terms("校验码在哪里"), terms("价税合计total"), terms("  ")
    (['数电票', 'ofd'], ['校验码在哪里'], ['价税合计', 'total'], [])
    """
    found = _TERM.findall(_fold(query[:MAX_QUERY]))
    return list(dict.fromkeys(found))[:MAX_TERMS]


def _pieces(term: str) -> list[str]:
    """What must occur for ``term`` to match, when it does not occur whole: a Chinese run's
    two-character pieces; anything else only whole."""
    if len(term) > 2 and _CHINESE.match(term):
        return [term[i : i + 2] for i in range(len(term) - 1)]
    return [term]


def _occurs(term: str, text: str) -> bool:
    """``term`` occurs whole; or, for a Chinese run, its two-character pieces do, all but one in
    four (the pieces that straddle two words, as 票价 in 数电票价税合计, occur nowhere)."""
    if term in text:
        return True
    pieces = _pieces(term)
    missing = sum(1 for piece in pieces if piece not in text)
    return missing <= len(pieces) // 4 if len(pieces) > 1 else not missing


@dataclass(frozen=True)
class Hit:
    page: HelpPage
    in_title: int  # terms found in a title
    score: int


def search(query: str, staff: bool = False) -> list[Hit]:
    """The pages where every term of ``query`` occurs (in a title or a body, in either language),
    title hits first, then by how often the terms occur."""
    wanted = terms(query)
    if not wanted:
        return []
    hits = []
    for candidate in _visible(staff):
        titles = _fold(f"{candidate.title_zh}\n{candidate.title_en}")
        bodies = _fold(f"{candidate.body_zh}\n{candidate.body_en}")
        if not all(_occurs(term, titles) or _occurs(term, bodies) for term in wanted):
            continue
        in_title = sum(1 for term in wanted if _occurs(term, titles))
        score = sum(bodies.count(term) + 10 * titles.count(term) for term in wanted)
        hits.append(Hit(candidate, in_title, score))
    hits.sort(key=lambda hit: (-hit.in_title, -hit.score, hit.page.section, hit.page.position, hit.page.slug))
    return hits


def _needles(query: str) -> list[str]:
    """What to mark in a text: each term, or the pieces of a Chinese term found only in pieces."""
    needles = []
    for term in terms(query):
        needles += [term, *_pieces(term)]
    return sorted(set(needles), key=len, reverse=True)


def marked(text: str, query: str) -> list[tuple[str, bool]]:
    """``text`` cut into ``(piece, matched)`` where the query's terms occur.

    >>> marked("Type the Check code", "check")
    [('Type the ', False), ('Check', True), (' code', False)]
    >>> marked("校验码后6位", "校验码")
    [('校验码', True), ('后6位', False)]
    """
    needles = _needles(query)
    folded = _fold(text)
    if not needles or len(folded) != len(text):  # folding changed the length: mark nothing
        return [(text, False)] if text else []
    spans, start = [], 0
    pattern = re.compile("|".join(re.escape(needle) for needle in needles))
    for found in pattern.finditer(folded):
        if found.start() > start:
            spans.append((text[start : found.start()], False))
        spans.append((text[found.start() : found.end()], True))
        start = found.end()
    if start < len(text):
        spans.append((text[start:], False))
    return spans


def snippet(text: str, query: str) -> list[tuple[str, bool]]:
    """The part of ``text`` around the first match (about :data:`SNIPPET` characters), marked;
    the text's start when nothing matches."""
    flat = " ".join(text.split())
    folded = _fold(flat)
    first = min((folded.find(needle) for needle in _needles(query) if needle in folded), default=0)
    start = max(0, min(first - SNIPPET // 4, len(flat) - SNIPPET))
    part = flat[start : start + SNIPPET]
    pieces = marked(part, query)
    if start > 0:
        pieces.insert(0, ("…", False))
    if start + SNIPPET < len(flat):
        pieces.append(("…", False))
    return pieces


def matches(text: str, query: str) -> bool:
    return any(_occurs(term, _fold(text)) for term in terms(query))


# --- staff's edits -------------------------------------------------------------------------------


def _require_staff(actor) -> None:
    if not visibility.is_staff(actor):
        raise PermissionDenied("only auditors and admins edit help pages")


def create(actor, fields: dict) -> HelpPage:
    """A new page from ``fields`` (the names of :data:`EDITABLE`); audited ``help.edit``."""
    _require_staff(actor)
    values = {name: fields[name] for name in EDITABLE if name in fields}
    with dbapi.serialized_writes(), transaction.atomic():
        created = HelpPage.objects.create(**values, updated_by=actor, updated_at=timezone.now())
        audit.record(
            audit.Action.HELP_EDIT,
            actor,
            audit.target(created),
            {"slug": created.slug, "created": True, "fields": sorted(values)},
        )
    return created


def edit(actor, edited: HelpPage, fields: dict) -> list[str]:
    """Change ``edited`` to ``fields``; the names of the fields that changed (nothing is written,
    nor audited, when none did)."""
    _require_staff(actor)
    with dbapi.serialized_writes(), transaction.atomic():
        current = HelpPage.objects.select_for_update().get(pk=edited.pk)
        changed = [name for name in EDITABLE if name in fields and getattr(current, name) != fields[name]]
        if not changed:
            return []
        for name in changed:
            setattr(current, name, fields[name])
        current.updated_by, current.updated_at = actor, timezone.now()
        current.save()
        audit.record(
            audit.Action.HELP_EDIT,
            actor,
            audit.target(current),
            {"slug": current.slug, "created": False, "fields": changed},
        )
    edited.refresh_from_db()
    return changed


# --- the initial pages ---------------------------------------------------------------------------


def initial_pages() -> list[dict]:
    """The pages Yanpiao starts with (``content/help_pages.json``), as field values."""
    return json.loads(INITIAL_PAGES.read_text(encoding="utf-8"))


def seed(model=HelpPage) -> int:
    """Create the initial pages that are missing (by slug); how many were created.  ``model`` is
    the migration's historical model when a migration calls it."""
    existing = set(model.objects.values_list("slug", flat=True))
    missing = [model(**fields) for fields in initial_pages() if fields["slug"] not in existing]
    model.objects.bulk_create(missing)
    return len(missing)
