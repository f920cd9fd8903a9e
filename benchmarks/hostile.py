"""Small hostile files through the real read path: each answered (read or refused) within the budget?

    .venv/bin/python benchmarks/hostile.py [--commands verify-file extract] [--timeout 120] [--keep]

Generates the files a hostile probe found costly (``tests/intake/hostile.py``): a 50-page PDF
drawing a 6300×6300 image 12 times a page, 50 blank pages, one page of 14400 points with a large
``UserUnit``, a blank 6300×6300 PNG, an XML with XInclude, an XML with a 9 MB attribute.  Each
runs through ``yanpiao verify-file`` and ``yanpiao extract`` in a fresh process (start-up, OCR
engine load and all), on one temporary ``YANPIAO_HOME`` migrated first.  Printed per file and
command: the file's size, the outcome (the refusal reason, or the invoices read), the exit
status, seconds, the process's peak RSS, and the ratio of seconds and RSS to a baseline run in
the same way on an ordinary invoice PDF (rendered from a demo invoice).  The target: any file
of at most 1 MB answered within 10 s and 600 MB of peak RSS on a 2-core machine; ``ok`` says
whether the run kept to it, and whether it answered cleanly (exit 0, 1 or 2, never 70).
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _setup import ROOT, django_on

TARGET_SECONDS = 10.0
TARGET_MB = 600.0
MAX_FILE = 1_000_000


def hostile_files(folder: Path) -> dict[str, Path]:
    from tests.intake import hostile

    made = {
        "pdf-50x12-images-6300.pdf": hostile.image_pdf(pages=50, side=6300, draws=12),
        "pdf-50-blank-pages.pdf": hostile.blank_pdf(pages=50),
        "pdf-14400pt-userunit.pdf": hostile.huge_page_pdf(side=14400, user_unit=75000),
        "png-blank-6300.png": hostile.blank_png(side=6300),
        "xml-xinclude.xml": hostile.xinclude_xml(),
        "xml-9mb-attribute.xml": hostile.huge_attribute_xml(9 * 1024 * 1024),
    }
    paths = {}
    for name, data in made.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


def baseline_file(folder: Path) -> Path:
    from yanpiao.demo.generator import generate
    from yanpiao.documents.pdf import render_pdf

    [invoice] = generate(1, seed=3, end_date=datetime.date(2026, 6, 30))
    path = folder / "baseline-ordinary-invoice.pdf"
    path.write_bytes(render_pdf(invoice))
    return path


def run(command: str, path: Path, home: Path, timeout: float) -> dict:
    """One ``yanpiao COMMAND --json PATH`` in a fresh process: outcome, exit status, seconds, peak RSS."""
    environment = {**os.environ, "YANPIAO_HOME": str(home)}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "yanpiao"), command, "--json", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        cwd=ROOT,
        start_new_session=True,
    )
    timed_out = False
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - started > timeout:
            os.killpg(process.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(process.pid, 0)
            timed_out = True
            break
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    out, err = process.stdout.read().decode(), process.stderr.read().decode()
    return {
        "exit": None if timed_out else process.returncode,
        "seconds": seconds,
        "rss_mb": usage.ru_maxrss * 1024 / 1e6,  # ru_maxrss is in KiB on Linux; MB are 10^6 bytes
        "outcome": "timeout" if timed_out else outcome(out, err),
    }


def outcome(out: str, err: str) -> str:
    """The refusal reason, or what was read: ``too_costly``, ``2 invoice(s): invalid``…"""
    for line in out.splitlines():
        try:
            answer = json.loads(line)
        except ValueError:
            continue
        if "refused" in answer:
            return f"refused {answer['refused']['reason']}"
        if "results" in answer:
            return "read: " + ",".join(r["outcome"] for r in answer["results"])
        if "invoices" in answer:
            return f"read: {len(answer['invoices'])} invoice(s)"
    return (err.strip().splitlines() or ["no answer"])[-1][:60]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", nargs="+", default=["verify-file", "extract"])
    parser.add_argument("--timeout", type=float, default=120.0, help="kill a run after this many seconds")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and YANPIAO_HOME")
    args = parser.parse_args()
    home = django_on(None)
    folder = Path(tempfile.mkdtemp(prefix="yanpiao-hostile-"))
    files = {"baseline (ordinary PDF)": baseline_file(folder), **hostile_files(folder)}
    print(f"files in {folder}; YANPIAO_HOME {home}; {os.cpu_count()} CPUs")
    print(
        f"target: a file of at most 1 MB answered within {TARGET_SECONDS:.0f} s and {TARGET_MB:.0f} MB peak RSS"
    )
    header = f"{'file':28} {'command':11} {'size':>9} {'outcome':26} {'exit':>4} {'s':>6} {'MB':>6} {'x s':>5} {'x MB':>5}  ok"
    for command in args.commands:
        base = run(command, files["baseline (ordinary PDF)"], home, args.timeout)
        print()
        print(header)
        for name, path in files.items():
            result = base if name.startswith("baseline") else run(command, path, home, args.timeout)
            size = path.stat().st_size
            clean = result["exit"] in (0, 1, 2)
            within = result["seconds"] <= TARGET_SECONDS and result["rss_mb"] <= TARGET_MB
            verdict = ("yes" if within and clean else "NO") if size <= MAX_FILE else "(over 1 MB)"
            print(
                f"{name[:28]:28} {command:11} {size:9,d} {result['outcome'][:26]:26} {str(result['exit']):>4} "
                f"{result['seconds']:6.2f} {result['rss_mb']:6.0f} {result['seconds'] / base['seconds']:5.1f} "
                f"{result['rss_mb'] / base['rss_mb']:5.1f}  {verdict}",
                flush=True,
            )
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
