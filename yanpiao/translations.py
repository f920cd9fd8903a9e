"""The site's translations: ``python -m yanpiao.translations`` compiles every ``.po`` catalogue
under ``yanpiao/locale`` to the ``.mo`` file Django reads (``make`` runs it; polib, so no GNU
gettext is needed on the machine).

The pages are written in Chinese, the site's default language: a message's id is its Chinese
text, and ``locale/en`` holds the English.  A page whose catalogue was not compiled still reads
in Chinese.
"""

from __future__ import annotations

import sys
from pathlib import Path

LOCALE = Path(__file__).resolve().parent / "locale"


def compile_catalogues(locale: Path = LOCALE) -> list[Path]:
    """Write ``X.mo`` beside each ``X.po`` that is newer than it; the ``.mo`` files written."""
    import polib

    written = []
    for po in sorted(locale.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        catalogue = polib.pofile(str(po))
        broken = [entry.msgid for entry in catalogue if entry.msgstr and not _same_placeholders(entry)]
        if broken:
            raise SystemExit(f"{po}: placeholders differ in the translation of {broken[0]!r}")
        catalogue.save_as_mofile(str(mo))
        written.append(mo)
    return written


def _same_placeholders(entry) -> bool:
    """A translation must keep the message's ``%(name)s`` placeholders, or the page would fail."""
    import re

    pattern = re.compile(r"%\(\w+\)[sd]")
    return sorted(pattern.findall(entry.msgid)) == sorted(pattern.findall(entry.msgstr))


if __name__ == "__main__":
    for path in compile_catalogues():
        print(f"compiled {path.relative_to(LOCALE.parent.parent)}", file=sys.stderr)
