"""How identifiers are written down for comparison: full-width characters as ASCII (NFKC), no spaces.

Codes, numbers, check codes and tax IDs are typed with full-width digits and spaces as often as
without; every module of the core compacts them the same way, through :func:`compact`.

>>> compact(" ０１１ ００１ ６０５１１１ ")
'011001605111'
>>> compact("1100244320"), compact(None)
('1100244320', '')
"""

import unicodedata


def compact(value: str | None) -> str:
    """``value`` with full-width characters as ASCII (NFKC) and every space removed."""
    if not value:
        return ""
    if value.isascii():  # NFKC changes no ASCII character: the usual case, kept cheap
        return value if value.isalnum() else "".join(value.split())
    return "".join(unicodedata.normalize("NFKC", value).split())
