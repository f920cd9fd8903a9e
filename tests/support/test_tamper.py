"""Tampered copies: exactly one printed non-key field changed, the QR code as issued."""

import datetime
import io

import numpy as np
import pypdf
import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tests import factories
from tests.support.tamper import FIELDS_NEVER_CHANGED, tamper, tamperable_fields
from yanpiao.demo.generator import generate
from yanpiao.documents import layout
from yanpiao.documents.pdf import render_pdf
from yanpiao.fapiao import qr, types, uscc
from yanpiao.fapiao.compare import flatten
from yanpiao.fapiao.invoice import to_json

DEMO = list(generate(150, seed=21, end_date=datetime.date(2026, 6, 30)))
FACTORY = [
    factories.invoice(type=t, serial=800 + i, remarks="合同编号：HT202512345", payee="李四", reviewer="赵六")
    for i, t in enumerate(("32", "31", "10", "01", "04", "11", "14", "20"))
]


def changed_paths(original, copy) -> list[str]:
    before, after = flatten(to_json(original)), flatten(to_json(copy))
    assert before.keys() == after.keys()
    return [path for path in before if before[path] != after[path]]


def key_fields(invoice) -> set[str]:
    return FIELDS_NEVER_CHANGED | {types.key_amount_field(invoice.type)}


@pytest.mark.parametrize("index", range(len(DEMO)))
def test_exactly_one_printed_non_key_field_changes(index):
    original = DEMO[index]
    copy, path = tamper(original, seed=index)
    assert changed_paths(original, copy) == [path]
    assert path not in key_fields(original) and path.rsplit(".", 1)[-1] not in FIELDS_NEVER_CHANGED
    assert path in layout.page_for(original).printed_fields()
    new_text = layout.page_for(copy).text_of(path)
    assert new_text and new_text != layout.page_for(original).text_of(path)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32), which=st.integers(min_value=0, max_value=len(FACTORY) - 1)
)
def test_any_seed_changes_one_field(seed, which):
    original = FACTORY[which]
    copy, path = tamper(original, seed)
    assert changed_paths(original, copy) == [path]
    assert path not in key_fields(original)


def test_every_kind_of_field_is_chosen_sometimes():
    chosen = {tamper(invoice, seed)[1].split(".")[-1] for invoice in FACTORY for seed in range(40)}
    assert {"name", "tax_id", "amount", "tax", "remarks", "drawer", "address", "phone", "quantity"} <= chosen


def test_never_a_key_field_nor_an_unprinted_one():
    digital = FACTORY[0]
    fields = tamperable_fields(digital)
    assert "total" not in fields and "amount" in fields
    assert "seller.address" not in fields  # a 数电票 prints no addresses
    special = FACTORY[3]  # 01: verified by the amount
    assert "amount" not in tamperable_fields(special) and "total" in tamperable_fields(special)
    ordinary = FACTORY[2]  # 10: verified by the check code
    assert {"amount", "total"} <= set(tamperable_fields(ordinary))
    assert "check_code" not in tamperable_fields(ordinary) and "machine_no" not in tamperable_fields(ordinary)


def test_tax_ids_stay_valid_and_amounts_keep_their_form():
    for invoice in FACTORY:
        for seed in range(60):
            copy, path = tamper(invoice, seed)
            if path.endswith("tax_id"):
                assert uscc.is_valid(flatten(to_json(copy))[path])
            if path in ("amount", "tax", "total") or path.endswith((".amount", ".tax")):
                assert flatten(to_json(copy))[path].count(".") == 1


def test_red_letter_amounts_stay_negative():
    red = factories.red_letter(FACTORY[0])
    for seed in range(40):
        copy, path = tamper(red, seed)
        if path in ("amount", "tax") or path.endswith((".amount", ".tax")):
            assert flatten(to_json(copy))[path].startswith("-")


def test_same_seed_same_copy():
    assert tamper(DEMO[0], 5) == tamper(DEMO[0], 5)


def test_tampered_pdf_keeps_the_original_qr_code():
    original = FACTORY[2]
    copy, _ = tamper(original, seed=1)
    data = render_pdf(copy, qr_payload=qr.of_invoice(original))
    (image,) = pypdf.PdfReader(io.BytesIO(data)).pages[0].images
    picture = np.array(Image.open(io.BytesIO(image.data)).convert("L"))
    assert [r.text for r in zxingcpp.read_barcodes(picture)] == [qr.of_invoice(original)]
