"""What ``yanpiao extract`` and ``yanpiao verify-file`` share: reading the named files, refusals."""

import json
from collections.abc import Callable, Iterator
from typing import Any

from yanpiao.intake import reader
from yanpiao.intake.limits import Limits, RefusedDocument
from yanpiao.verification.services import intake_limits

EXIT_AUTHENTIC, EXIT_OTHER, EXIT_INVALID = 0, 1, 2


def process_files(
    paths: list[str], work: Callable[[bytes, Limits], Any]
) -> Iterator[tuple[str, Any, RefusedDocument | None]]:
    """``(path, work(data, limits), None)`` per file, or ``(path, None, refusal)``."""
    limits = intake_limits()
    for path in paths:
        try:
            yield path, work(reader.read_file(path, limits), limits), None
        except RefusedDocument as refused:
            yield path, None, refused


def report_refusal(command, path: str, refused: RefusedDocument, as_json: bool) -> None:
    command.stderr.write(f"{path}: refused: {refused.message}")
    if as_json:
        refusal = {"file": path, "refused": {"reason": refused.reason, "message": refused.message}}
        command.stdout.write(json.dumps(refusal, ensure_ascii=False))
