"""Specimens (样票) and invoices made out to test parties: never an issued invoice.

A specimen is printed to show what an invoice looks like (样票, 票样, 样本, 样例 stamped on it),
and a test invoice names a test party (测试购方企业, 测试销方).  Neither can be an issued invoice,
so every reader gives such a document the *error* finding ``document.specimen``, like a
test-environment invoice (``document.test_environment``): an error about the document blocks
verification, whose outcome is then ``invalid``, whatever the registry holds.

The words are looked for where a stamp or a title is, not in content that may legitimately hold
them: an item named ``*医疗服务*样本检测费`` or a remark is no specimen mark, and a real company
whose name contains 测试 (广州检测测试技术有限公司) is no test party: a test party's name starts
with 测试 or is 测试 + 购方/销方.

>>> markers("增值税专用发票 样票", {"buyer": {"name": "测试购方企业"}})
['样票', '测试购方企业']
>>> markers("增值税专用发票样本", {}), markers("票样", {})
(['样本'], ['票样'])
>>> markers("增值税专用发票", {"seller": {"name": "广州检测测试技术有限公司"}})
[]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from yanpiao.fapiao.findings import ERROR, Finding

# 票样 last: 发票样票 and 发票样本 hold it across two words, so the others are taken out first.
SPECIMEN_WORDS = ("样票", "样本", "样例", "票样")
TEST_PARTY = re.compile(r"^测试|测试[购销]方")


def is_test_party(name: str) -> bool:
    return bool(TEST_PARTY.search("".join((name or "").split())))


def markers(text: str, parties: Mapping[str, Mapping[str, Any]], content: Sequence[str] = ()) -> list[str]:
    """The specimen words in ``text`` (less the ``content`` strings in it) and the test parties' names."""
    text = "".join((text or "").split())
    for value in content:
        if value:
            text = text.replace("".join(str(value).split()), "")
    found = []
    for word in SPECIMEN_WORDS:
        if word in text:
            found.append(word)
            text = text.replace(word, " ")
    for role in ("buyer", "seller"):
        name = str(parties.get(role, {}).get("name", ""))
        if is_test_party(name):
            found.append(name)
    return found


def finding(found: Sequence[str]) -> Finding:
    return Finding(
        "document.specimen",
        "document",
        ERROR,
        f"the document is marked as a specimen or test invoice ({', '.join(found)}): "
        "it cannot be an issued invoice",
    )


def content_of(fields: Mapping[str, Any]) -> list[str]:
    """The free-text content of a candidate (item names, remarks), where specimen words do not count."""
    names = [str(line.get("name", "")) for line in fields.get("items") or () if isinstance(line, Mapping)]
    return [*names, str(fields.get("remarks", ""))]


__all__ = ["SPECIMEN_WORDS", "content_of", "finding", "is_test_party", "markers"]
