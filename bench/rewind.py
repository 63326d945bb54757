"""Time a turn after a rewind against re-evaluating the same history cold.

    .venv/bin/python bench/rewind.py [--turns 12] [--rewind 5]

Prints the tokens evaluated and the seconds to the first token in both cases.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tui.alignment.conversation import chat_messages  # noqa: E402
from tui.alignment.store import Store  # noqa: E402
from tui.engine.base import SamplingSettings  # noqa: E402
from tui.engine.llama import LlamaEngine  # noqa: E402
from tui.models import bundled_model  # noqa: E402
from tui.service import ChatService  # noqa: E402

TOPICS = ["bridges", "rivers", "archives", "surveys", "interviews", "maps", "ethics boards",
          "sampling", "coding schemes", "field notes", "consent forms", "replication", "datasets",
          "citations", "peer review", "workshops", "diaries", "metaphors", "values", "trade-offs"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--rewind", type=int, default=5)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    model = args.model or bundled_model().path
    settings = SamplingSettings(temperature=0.0, max_tokens=48, seed=1)
    engine = LlamaEngine(model, n_ctx=4096, seed=1)
    engine.wait_loaded()
    service = ChatService(Store(":memory:"), engine, settings, "You are a research assistant.")
    print(f"building a {args.turns}-turn conversation on {engine.info.label} …", file=sys.stderr)
    for index in range(args.turns):
        service.send(f"Tell me one fact about {TOPICS[index % len(TOPICS)]}.").wait()
    full = service.last_answer().meta["stats"]["prompt_tokens"]
    service.rewind(args.rewind)
    turn = service.send("Summarise what we discussed in one sentence.")
    turn.wait()
    warm = turn.generation.stats

    cold_engine = LlamaEngine(model, n_ctx=4096, seed=1)
    cold_engine.wait_loaded()
    messages = chat_messages(service.system_prompt, service.transcript()[:-1])
    cold = cold_engine.generate(messages, settings)
    cold.wait()
    print(f"history before rewind: {full} tokens; rewound {args.rewind} turns")
    print(f"after rewind: {warm.prompt_evaluated:5d} of {warm.prompt_tokens} prompt tokens "
          f"evaluated, first token after {warm.prompt_seconds:.3f} s")
    cold_stats = cold.stats
    print(f"cold:         {cold_stats.prompt_evaluated:5d} of {cold_stats.prompt_tokens} prompt "
          f"tokens evaluated, first token after {cold_stats.prompt_seconds:.3f} s")
    engine.close()
    cold_engine.close()


if __name__ == "__main__":
    main()
