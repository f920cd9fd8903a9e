"""Uploading documents in the browser: each file gets its card, each invoice in it its outcome."""

import pytest

from tests import factories
from tests.support.photo import simulate_photo
from yanpiao.documents.pdf import render_pdf

pytestmark = pytest.mark.django_db(transaction=True)

# Fixed serials and seed: the same photo every run, one whose QR code the intake reads (as it
# does 98 % of simulated photos).
PHOTO_SEED = 3


def test_an_uploaded_pdf_and_a_photo_each_get_a_card_with_an_outcome(page, register):
    in_pdf = register(factories.invoice("32", serial=9101))
    in_photo = register(factories.invoice("04", serial=9102))
    files = [
        {"name": "发票.pdf", "mimeType": "application/pdf", "buffer": render_pdf(in_pdf)},
        {
            "name": "photo.jpg",
            "mimeType": "image/jpeg",
            "buffer": simulate_photo(render_pdf(in_photo), seed=PHOTO_SEED),
        },
    ]

    page.goto("/upload/")
    page.set_input_files("input[type=file][multiple]", files)
    page.locator("form", has=page.locator("input[type=file]")).locator("button[type=submit]").click()

    cards = page.locator("[data-document]")
    cards.nth(1).wait_for(timeout=30_000)  # reading a photo takes a few seconds
    assert cards.count() == 2
    for name, card in zip(("发票.pdf", "photo.jpg"), cards.all(), strict=True):
        assert name in card.inner_text()
        assert card.locator("[data-outcome]").get_attribute("data-outcome") == "authentic"
