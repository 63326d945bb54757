"""The sampler chains an answer goes through, and the OpenMP wait defaults."""

from __future__ import annotations

import pytest

from tui.engine import thread_env
from tui.engine.native_sampler import Stage, plan, seed_for


def chains(**settings: object):
    values = {"temperature": 0.0, "top_p": 0.9, "repeat_penalty": 1.1, "seed": 7,
              "n_vocab": 100, "last_n": 64, "grammar": False, **settings}
    return plan(**values)  # type: ignore[arg-type]


HEAD = (Stage("top_k", (104,)), Stage("dist", (0,)))  # the probability shown is taken here


def test_greedy_answers_pick_after_the_penalty_and_mask_nothing_without_a_grammar() -> None:
    greedy = chains()
    assert greedy.mask == () and greedy.head == HEAD
    assert greedy.pick == (Stage("penalties", (100, 64, 1.1, 0.0, 0.0)), Stage("greedy"))


def test_sampled_answers_use_llama_cpp_pythons_chain_and_the_seed() -> None:
    hot = chains(temperature=0.7, grammar=True)
    assert [s.name for s in hot.mask] == ["grammar"]
    assert hot.head == HEAD
    assert [s.name for s in hot.pick] == ["penalties", "top_k", "typical", "top_p", "min_p",
                                          "temp", "dist"]
    assert hot.pick[1].args == (40,)
    assert hot.pick[3].args == (0.9, 1) and hot.pick[-1].args == (7,)


def test_a_draw_from_the_whole_distribution_takes_its_probability_over_every_token() -> None:
    whole = chains(temperature=-1.0)
    assert whole.head == (Stage("dist", (0,)),)
    assert whole.pick == (Stage("penalties", (100, 64, 1.1, 0.0, 0.0)), Stage("dist", (7,)))


def test_seeds_are_the_one_asked_for_or_a_draw_never_llama_cpps_random_marker() -> None:
    assert seed_for(5, 99) == 5 and seed_for(None, 99) == 99
    assert seed_for(None, 0xFFFFFFFF) != 0xFFFFFFFF


def test_bounded_spinning_is_set_only_where_the_user_chose_nothing() -> None:
    environ: dict[str, str] = {"PATH": "/bin"}
    assert thread_env.apply_defaults(environ) == thread_env.DEFAULTS
    assert environ["GOMP_SPINCOUNT"] == thread_env.DEFAULTS["GOMP_SPINCOUNT"]
    assert "coalign's default" in thread_env.describe(environ, thread_env.DEFAULTS)
    assert thread_env.llama_default_environment(environ) == {"PATH": "/bin"}
    for users in ({"OMP_WAIT_POLICY": "PASSIVE"}, {"GOMP_SPINCOUNT": "0"}):
        mine = dict(users)
        assert thread_env.apply_defaults(mine) == {} and mine == users
        assert thread_env.describe(mine, {}).endswith("(yours)")


def test_the_probability_is_taken_from_a_candidate_the_softmax_gave_some_weight() -> None:
    """llama.cpp's draw lands on the first candidate when it draws exactly 0, which the
    grammar may have masked (p 0): the reference is then the likeliest one instead."""
    from types import SimpleNamespace

    import numpy as np

    from tui.engine.native_decoder import HeadProbability

    logits = np.array([-np.inf, 2.0, 1.0], dtype=np.single)
    weights = np.exp(logits - logits.max())
    candidates = SimpleNamespace(logits=logits, p=(weights / weights.sum()).astype(np.single),
                                 array=SimpleNamespace(selected=0, size=3))
    probability = HeadProbability()
    probability.read(candidates)  # type: ignore[arg-type]
    assert probability.of(1.0) == pytest.approx(float(weights[2] / weights.sum()), rel=1e-6)
