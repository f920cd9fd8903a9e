"""What ``yanpiao extract`` and ``yanpiao verify-file`` share: reading the named files."""

from collections.abc import Iterator

from yanpiao.intake import reader
from yanpiao.intake.limits import Limits, RefusedDocument

EXIT_AUTHENTIC, EXIT_OTHER, EXIT_INVALID = 0, 1, 2


def read_files(paths: list[str]) -> Iterator[tuple[str, bytes | None, RefusedDocument | None]]:
    limits = Limits.from_settings()
    for path in paths:
        try:
            yield path, reader.read_file(path, limits), None
        except RefusedDocument as refused:
            yield path, None, refused


def refusal_json(path: str, refused: RefusedDocument) -> dict:
    return {"file": path, "refused": {"reason": refused.reason, "message": refused.message}}
