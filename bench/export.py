"""Time each diary export format on 10,000 generated entries (target: under 2 s each).

Run: .venv/bin/python bench/export.py [--count N] [--pseudonymise] [--redact]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tui.alignment.export import FORMATS, run_export  # noqa: E402
from tui.bench_tui import diary_entries as generate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--pseudonymise", action="store_true")
    parser.add_argument("--redact", action="store_true")
    args = parser.parse_args()
    entries = generate(args.count)
    with tempfile.TemporaryDirectory() as folder:
        for fmt in FORMATS:
            out = Path(folder) / f"diary.{fmt}"
            start = time.perf_counter()
            report = run_export(entries, fmt, out, pseudonymise=args.pseudonymise,
                                redact_names=["Ada"] if args.redact else None)
            elapsed = time.perf_counter() - start
            size = out.stat().st_size / 1e6
            print(f"{fmt:<6} {report.written:>6} entries  {elapsed:6.2f} s  {size:6.1f} MB"
                  f"  ({'ok' if elapsed < 2 else 'over the 2 s target'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
