"""The budget of work for one document: pixels a page and in all, page renders, OCR runs, seconds."""

from __future__ import annotations

import pytest

from yanpiao.intake import budget
from yanpiao.intake.limits import DEFAULT, Limits, RefusedDocument


def refusal(action) -> RefusedDocument:
    with pytest.raises(RefusedDocument) as refused:
        action()
    assert refused.value.reason == "too_costly"
    return refused.value


def test_pixels_are_counted_per_page_and_the_page_limit_is_named():
    spent = budget.Budget(Limits(max_page_pixels=1000, max_document_pixels=10_000))
    spent.page(1)
    spent.pixels(600, "an image")
    refused = refusal(lambda: spent.pixels(600, "a render"))
    assert "max_page_pixels" in refused.message and "page 1" in refused.message
    spent.page(2)
    spent.pixels(900, "a render")  # a new page starts afresh


def test_pixels_are_counted_for_the_whole_document_too():
    spent = budget.Budget(Limits(max_page_pixels=1000, max_document_pixels=2500))
    for number in (1, 2):
        spent.page(number)
        spent.pixels(1000, "a render")
    spent.page(3)
    assert "max_document_pixels" in refusal(lambda: spent.pixels(1000, "a render")).message


def test_renders_and_ocr_runs_are_counted():
    spent = budget.Budget(Limits(max_rendered_pages=2, max_ocr_runs=1))
    spent.render()
    spent.render()
    assert "max_rendered_pages" in refusal(spent.render).message
    spent.ocr()
    assert "max_ocr_runs" in refusal(spent.ocr).message


def test_the_clock_runs_for_the_whole_read(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(budget, "clock", lambda: now[0])
    spent = budget.Budget(Limits(max_seconds=5))
    now[0] = 104.0
    spent.check_time()
    now[0] = 105.5
    assert "max_seconds" in refusal(spent.check_time).message
    assert "max_seconds" in refusal(spent.ocr).message  # every charge looks at the clock


def test_a_scope_reuses_the_budget_already_running():
    with budget.scope(Limits(max_ocr_runs=1)) as outer:
        with budget.scope(DEFAULT) as inner:
            assert inner is outer
            inner.ocr()
        refusal(budget.current().ocr)
    assert budget.current() is not outer


def test_outside_a_scope_the_default_limits_apply():
    assert budget.current().limits == DEFAULT


def test_the_limits_take_their_fields_from_a_mapping_and_refuse_unknown_ones():
    limits = Limits.from_mapping({"max_seconds": 8, "max_ocr_runs": 2})
    assert (limits.max_seconds, limits.max_ocr_runs, limits.max_pdf_pages) == (8, 2, DEFAULT.max_pdf_pages)
    with pytest.raises(ValueError, match="max_secs"):
        Limits.from_mapping({"max_secs": 8})
    with pytest.raises(ValueError, match="max_ocr_runs"):
        Limits.from_mapping({"max_ocr_runs": "two"})
    with pytest.raises(ValueError, match="max_seconds"):
        Limits.from_mapping({"max_seconds": -1})
