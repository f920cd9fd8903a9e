"""The title table: every title a writer prints reads back as its type, in both readers."""

import pytest

from tests import factories
from yanpiao.documents import layout
from yanpiao.fapiao import types
from yanpiao.fapiao.formats import titles
from yanpiao.intake import ofd, printed
from yanpiao.intake.ocr import TextBox

ALL_TYPES = sorted(types.NAMES)


@pytest.mark.parametrize("type_code", ALL_TYPES)
def test_every_printed_title_and_mark_reads_back_as_its_type(type_code):
    title, mark = titles.printed(type_code, region="北京")
    assert titles.read_type(title, [mark] if mark else []) == type_code


@pytest.mark.parametrize("type_code", ALL_TYPES)
def test_the_writer_prints_the_title_of_the_table(type_code):
    invoice = factories.invoice(type_code)
    assert layout.title(invoice) == titles.printed(type_code, layout.region_name(invoice))[0]
    assert layout.title_mark(invoice) == titles.printed(type_code)[1]


def _printed_type(title: str, *others: str) -> str | None:
    boxes = [TextBox(title, 100, 10, 300, 26)]
    boxes += [TextBox(text, 20 + 60 * i, 12, 60 + 60 * i, 22) for i, text in enumerate(others)]
    return printed.invoice_type(printed.Page(boxes, 600, 400))


@pytest.mark.parametrize(
    ("title", "marks", "type_code"),
    [
        ("广东增值税专用发票", (), "01"),
        ("北京增值税普通发票", (), "04"),
        ("湖北增值税电子普通发票", ("通行费",), "14"),
        ("收费公路通行费增值税电子普通发票", (), "14"),
        ("北京增值税普通发票（卷票）", (), "11"),
        ("电子发票（增值税专用发票）", (), "31"),
    ],
)
def test_toll_special_and_ordinary_titles_are_recognised_by_both_readers(title, marks, type_code):
    assert _printed_type(title, *marks) == type_code
    assert ofd.type_from_title(title, marks) == type_code


def test_full_width_and_ascii_brackets_and_spaces_read_alike():
    assert titles.read_type("电子发票（普通发票）") == titles.read_type("电子发票 (普通发票)") == "32"


def test_the_longest_title_wins():
    assert titles.read_type("广东增值税电子专用发票") == "20"  # not 增值税专用发票 (01)
    assert titles.read_type("浙江增值税电子普通发票") == "10"  # not 增值税普通发票 (04)


def test_a_page_without_a_title_has_no_type():
    assert titles.read_type("会议纪要") == "" and _printed_type("会议纪要") is None
