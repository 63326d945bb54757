"""Time each diary export format on 10,000 generated entries (target: under 2 s each).

Run: .venv/bin/python bench/export.py [--count N] [--pseudonymise] [--redact]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tui.alignment.diary import DiaryEntry  # noqa: E402
from tui.alignment.export import FORMATS, run_export  # noqa: E402

VALUES = ("reliability", "honesty", "care", "autonomy", "cost", "privacy", "fairness")
WORDS = ("the", "model", "answer", "invented", "a", "source", "budget", "ignored", "tone",
         "summary", "paper", "trip", "regex", "proof", "letter", "thesis", "again")


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def generate(count: int, seed: int = 1) -> list[DiaryEntry]:
    """Entries like a real study's: 40 participants, a few hundred words each."""
    rng = random.Random(seed)
    entries = []
    for n in range(count):
        prompt, answer = _text(rng, 30), _text(rng, 120) + "\nSecond line, with a comma."
        day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:{n % 60:02d}:00Z"
        entries.append(DiaryEntry(
            misaligned_response=answer, initial_prompting=prompt,
            intuitive_intervention=_text(rng, 15), final_outcome=rng.choice(
                ("aligned", "partly", "misaligned", "")), outcome_note=_text(rng, 10),
            values_at_risk=rng.sample(VALUES, rng.randint(0, 3)),
            interventions=[{"kind": "mark", "at": day, "detail": "invalid"}],
            marks=[{"validity": "invalid", "understanding": "misunderstood",
                    "reason": _text(rng, 8)}],
            profile={"name": "lab", "source": "git", "commit": "abc123"}, model="qwen2.5-0.5b",
            session_id=str(n // 5), message_ids=[2 * n, 2 * n + 1],
            transcript=[{"role": "user", "content": prompt},
                        {"role": "assistant", "content": answer}],
            pseudonym=f"participant-{n % 40}", consent=n % 50 != 0, created_at=day))
    return entries


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
