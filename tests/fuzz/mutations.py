"""Hypothesis strategies for the fuzz runs: arbitrary bytes, and valid samples mutated byte by byte
or, for ZIP packages (OFD, XLSX), in one of their members re-packed, so that the readers behind the
package's own checks see damaged content too."""

import io
import os
import zipfile

from hypothesis import strategies as st

# The runs are bounded: the whole folder takes seconds on a shared 2-core machine in CI;
# YANPIAO_FUZZ_EXAMPLES=5000 runs longer by hand.
EXAMPLES = int(os.environ.get("YANPIAO_FUZZ_EXAMPLES", "120"))


@st.composite
def mutated(draw, sample: bytes, edits: int = 4) -> bytes:
    """``sample`` with a few edits: bytes flipped, ranges cut or doubled, bytes inserted, truncation."""
    data = bytearray(sample)
    for _ in range(draw(st.integers(1, edits))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "cut", "double", "insert", "truncate", "interesting"]))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "double":
            data[at:at] = data[at : at + draw(st.integers(1, 256))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "truncate":
            del data[at:]
        else:  # values that trip parsers: huge counts, negative numbers, NULs, deep nesting
            data[at:at] = draw(
                st.sampled_from(
                    [b"\x00", b"\xff\xff\xff\xff", b"-1", b"99999999999999999999", b"<a>" * 50, b"<<", b"/"]
                )
            )
    return bytes(data)


def members(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def repacked(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


@st.composite
def mutated_member(draw, package: bytes) -> bytes:
    """The ZIP ``package`` with one member mutated (or dropped), re-packed with valid checksums."""
    entries = members(package)
    name = draw(st.sampled_from(sorted(entries)))
    if draw(st.integers(0, 9)) == 0:
        del entries[name]
    else:
        entries[name] = draw(mutated(entries[name]))
    return repacked(entries)


def damaged(sample: bytes) -> st.SearchStrategy[bytes]:
    """Arbitrary bytes with the sample's first bytes (so the reader of its format is chosen), or the
    sample mutated."""
    return st.one_of(
        st.binary(max_size=2048).map(lambda tail: sample[:8] + tail),
        mutated(sample),
    )
