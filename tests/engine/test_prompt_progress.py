"""A long prompt is evaluated batch by batch and says how far it has got."""

from __future__ import annotations

from collections.abc import Sequence

from tui.engine.token_probe import TokenProbe


class TinyLlama:
    """Just what TokenProbe wraps: eval and n_batch."""

    n_batch = 4

    def __init__(self) -> None:
        self.evaluated: list[list[int]] = []

    def eval(self, tokens: Sequence[int]) -> None:
        self.evaluated.append(list(tokens))

    def sample(self) -> int:
        return 0


def test_eval_goes_in_batches_and_reports_each() -> None:
    llm = TinyLlama()
    probe = TokenProbe(llm)
    seen: list[tuple[int, int]] = []
    probe.on_progress = lambda done, of: seen.append((done, of))
    llm.eval(list(range(10)))
    assert llm.evaluated == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]  # the same tokens, in order
    assert seen == [(4, 10), (8, 10), (10, 10)]
    assert probe.evaluated == 10
