"""Device script: tokens/s with and without GPU offload, raw llama-cpp-python and coalign's engine.

Run from the repo root: `python bench/gpu/gpu_bench.py MODEL.gguf` (writes $OUT/gpu_bench.json).
"""

import json
import os
import sys
import time

sys.path.insert(0, os.getcwd())  # the repo root: coalign's own engine
import llama_cpp  # noqa: E402

from tui.engine.base import SamplingSettings  # noqa: E402
from tui.engine.llama import LlamaEngine  # noqa: E402

MODEL = sys.argv[1]
QUESTION = "Write a detailed history of the printing press in Europe, century by century."
LONG = " ".join(["The committee reviewed the archive of letters and minutes."] * 45)


def raw(ngl: int, threads: int) -> dict:
    llm = llama_cpp.Llama(MODEL, n_gpu_layers=ngl, n_ctx=2048, n_threads=threads, seed=1,
                          verbose=False)
    started = time.perf_counter()
    llm.create_completion(LONG, max_tokens=1)
    prompt_seconds = time.perf_counter() - started
    n_prompt = len(llm.tokenize(LONG.encode()))
    llm.reset()
    stamps = []
    for chunk in llm.create_chat_completion([{"role": "user", "content": QUESTION}],
                                           max_tokens=256, temperature=0, stream=True):
        if chunk["choices"][0]["delta"].get("content"):
            stamps.append(time.perf_counter())
    llm.close()
    return {"prompt_tok_s": round(n_prompt / prompt_seconds, 1),
            "gen_tok_s": round((len(stamps) - 1) / (stamps[-1] - stamps[0]), 1),
            "tokens": len(stamps)}


def engine(ngl: int, threads: int) -> dict:
    e = LlamaEngine(MODEL, n_ctx=2048, n_threads=threads, n_gpu_layers=ngl, seed=1)
    e.wait_loaded()
    generation = e.generate([{"role": "user", "content": QUESTION}],
                            SamplingSettings(temperature=0, max_tokens=256, seed=1))
    generation.wait()
    stats = generation.stats
    e.close()
    return {"gen_tok_s": round(stats.tokens_per_second, 1),
            "ttft_s": round(stats.prompt_seconds, 3), "tokens": stats.generated_tokens}


def main() -> None:
    out = {"supports_gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
           "system_info": llama_cpp.llama_print_system_info().decode()}
    print(json.dumps(out), flush=True)
    results = []
    for ngl, threads in ((0, 2), (0, 16), (-1, 16)):
        for label, measure in (("raw", raw), ("engine", engine)):
            result = {"kind": label, "gpu_layers": ngl, "threads": threads,
                      **measure(ngl, threads)}
            print(json.dumps(result), flush=True)
            results.append(result)
    with open(os.path.join(os.environ["OUT"], "gpu_bench.json"), "w") as handle:
        json.dump({**out, "results": results}, handle, indent=1)


if __name__ == "__main__":
    main()
