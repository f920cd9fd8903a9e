"""Content hashes and party fingerprints: stable, so that re-importing recognises stored invoices."""

import datetime
import hashlib
import json

from yanpiao.demo.generator import generate
from yanpiao.fapiao.invoice import to_json
from yanpiao.registry.convert import content_hash, party_fingerprint, party_values
from yanpiao.registry.jsonio import dumps
from yanpiao.security.fields import keyed_digest


def canonical_digest(data) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def test_content_hashes_are_sha256_of_the_canonical_json():
    for invoice in generate(300, seed=5, end_date=datetime.date(2026, 6, 30)):
        data = to_json(invoice)
        del data["status"]
        assert content_hash(invoice) == canonical_digest(data)


def test_party_fingerprints_are_keyed():
    """A stolen database cannot confirm a guessed party by hashing it."""
    for invoice in generate(50, seed=5, end_date=datetime.date(2026, 6, 30)):
        values = list(party_values(invoice.seller))
        assert party_fingerprint(invoice.seller) != canonical_digest(values)
        assert party_fingerprint(invoice.seller) == keyed_digest(
            json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode(), "party"
        )


def test_the_status_is_not_part_of_the_content():
    invoice = next(generate(1, seed=5, end_date=datetime.date(2026, 6, 30)))
    assert content_hash(invoice) == content_hash(invoice.replace(status="voided"))
    assert content_hash(invoice) != content_hash(invoice.replace(remarks=invoice.remarks + "。"))


def test_exported_lines_are_compact_json_in_field_order():
    invoice = next(generate(1, seed=5, end_date=datetime.date(2026, 6, 30)))
    assert dumps(invoice) == json.dumps(to_json(invoice), ensure_ascii=False, separators=(",", ":"))
