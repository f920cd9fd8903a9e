"""Reading and writing invoice JSON files: JSON Lines (one invoice a line) or one JSON array."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any

import orjson

from yanpiao.fapiao.invoice import Invoice, to_json


class Record:
    """One invoice record of a file: its line (or array position) and its data or parse error.

    A JSON Lines record keeps its ``text`` until :meth:`parse`, so that parsing can happen
    where the record is checked (see :mod:`yanpiao.registry.checking`).
    """

    __slots__ = ("line", "data", "error", "text")

    def __init__(self, line: int, data: Any = None, error: str | None = None, text: str | None = None):
        self.line, self.data, self.error, self.text = line, data, error, text

    def parse(self) -> Record:
        """Parse the text into ``data``, or set ``error``."""
        if self.text is not None:
            try:
                self.data = orjson.loads(self.text)
            except orjson.JSONDecodeError as exc:
                self.error = f"not valid JSON: {exc.msg} at column {exc.colno}"
            self.text = None
        return self


def read_records(stream: IO[str]) -> Iterator[Record]:
    """Records of a JSON Lines file (not yet parsed), or of a JSON array (numbered by position, from 1)."""
    first = ""
    while not first:
        chunk = stream.read(1)
        if not chunk:
            return
        if not chunk.isspace():
            first = chunk
    if first == "[":
        yield from _read_array("[" + stream.read())
        return
    text = first + stream.readline()
    line_no = 1
    while text:
        if text.strip():
            yield Record(line_no, text=text)
        text = stream.readline()
        line_no += 1


def _read_array(text: str) -> Iterator[Record]:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        yield Record(exc.lineno, error=f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
        return
    if not isinstance(data, list):
        yield Record(1, error="a JSON file of invoices holds one array of invoice objects")
        return
    for position, item in enumerate(data, start=1):
        yield Record(position, item)


def dumps(invoice: Invoice) -> str:
    return orjson.dumps(to_json(invoice)).decode()


def write_lines(invoices: Iterable[Invoice], stream: IO[str]) -> int:
    count = 0
    for invoice in invoices:
        stream.write(dumps(invoice) + "\n")
        count += 1
    return count


def write_array(invoices: Iterable[Invoice], stream: IO[str]) -> int:
    count = 0
    stream.write("[")
    for invoice in invoices:
        stream.write(("," if count else "") + "\n" + dumps(invoice))
        count += 1
    stream.write("\n]\n")
    return count
