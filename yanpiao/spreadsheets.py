"""Cells of the spreadsheets Yanpiao writes (history exports, batch results): text that a
spreadsheet would take for a formula (``=…``; in CSV also ``+ - @``, tab, CR) is written as text,
so a seller's name or a typed invoice number cannot run in the reader's Excel.

>>> csv_text("=HYPERLINK(1)"), csv_text("-1.00"), csv_text("北京")
("'=HYPERLINK(1)", "'-1.00", '北京')
"""

from openpyxl.cell import WriteOnlyCell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """``text`` as a CSV cell: after a ``'`` when a spreadsheet would read a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def xlsx_value(sheet, value):
    """``value`` as a cell of a write-only ``sheet``: a string starting with ``=`` as text."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"  # text, never a formula
        return cell
    return value
