"""Bounded fuzz runs of the batch table readers: CSV and XLSX bytes give rows or ``BatchRefused``.

``read_rows`` refuses a file that is no batch at the call, or yields rows, each a row of fields or
one carrying findings (a record that cannot be parsed): reading every row never raises anything
else.
"""

import functools
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from tests.fuzz.mutations import EXAMPLES, mutated, mutated_member
from yanpiao.batches.reading import read_rows
from yanpiao.batches.rows import BatchRefused

BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
HEADER = ["发票代码", "发票号码", "开票日期", "金额", "校验码"]
ROWS = [
    ["", "26427000000375586818", "2026-04-30", "10.09", ""],
    ["044001500111", "81966722", "2017-05-24", "173.79", "884534"],
    ["033001800111", "25672225", "20180610", "76.72", "121427121"],
]
CSV = ("\n".join(",".join(row) for row in [HEADER, *ROWS]) + "\n").encode()


@functools.cache
def xlsx_sample() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in [["2025年3月发票清单"], HEADER, *ROWS]:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rows_or_refused(data: bytes, name: str) -> int | None:
    with tempfile.TemporaryDirectory(prefix="yp-fuzz-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            rows = list(read_rows(path, name))
        except BatchRefused as refused:
            assert refused.reason and refused.message
            return None
    for row in rows:
        assert row.number >= 1 and row.source
    return len(rows)


def test_the_samples_are_read():
    assert rows_or_refused(CSV, "invoices.csv") == 3
    assert rows_or_refused(xlsx_sample(), "invoices.xlsx") == 3


csv_like = st.one_of(
    st.binary(max_size=2048),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=512).map(
        lambda t: (",".join(HEADER) + "\n" + t).encode()
    ),
    st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]).map(CSV.decode().encode),
)


@BOUNDED
@given(st.one_of(csv_like, mutated(CSV)), st.sampled_from(["invoices.csv", "invoices.txt", "upload"]))
def test_arbitrary_or_damaged_csv_bytes_give_rows_or_a_refusal(data, name):
    rows_or_refused(data, name)


@BOUNDED
@given(st.one_of(mutated(xlsx_sample()), mutated_member(xlsx_sample())))
def test_a_damaged_xlsx_gives_rows_or_a_refusal(data):
    rows_or_refused(data, "invoices.xlsx")
