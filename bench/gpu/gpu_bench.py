"""Device call 2: tokens/s with and without GPU offload, raw llama-cpp-python and coalign's engine."""
import json, os, sys, time
sys.path.insert(0, os.getcwd())  # the repo root: coalign's own engine
import llama_cpp
from tui.engine.base import SamplingSettings
from tui.engine.llama import LlamaEngine

MODEL = sys.argv[1]
out = {"supports_gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
       "system_info": llama_cpp.llama_print_system_info().decode()}
print(json.dumps(out), flush=True)
QUESTION = "Write a detailed history of the printing press in Europe, century by century."
LONG = " ".join(["The committee reviewed the archive of letters and minutes."] * 45)

def raw(ngl, threads):
    llm = llama_cpp.Llama(MODEL, n_gpu_layers=ngl, n_ctx=2048, n_threads=threads, seed=1, verbose=False)
    t = time.perf_counter(); llm.create_completion(LONG, max_tokens=1); pe = time.perf_counter() - t
    n_prompt = len(llm.tokenize(LONG.encode()))
    llm.reset()
    stamps = []
    for chunk in llm.create_chat_completion([{"role": "user", "content": QUESTION}],
                                           max_tokens=256, temperature=0, stream=True):
        if chunk["choices"][0]["delta"].get("content"):
            stamps.append(time.perf_counter())
    gen = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    llm.close()
    return {"prompt_tok_s": round(n_prompt / pe, 1), "gen_tok_s": round(gen, 1), "tokens": len(stamps)}

def engine(ngl, threads):
    e = LlamaEngine(MODEL, n_ctx=2048, n_threads=threads, n_gpu_layers=ngl, seed=1)
    e.wait_loaded()
    g = e.generate([{"role": "user", "content": QUESTION}], SamplingSettings(temperature=0, max_tokens=256, seed=1))
    g.wait(); s = g.stats; e.close()
    return {"gen_tok_s": round(s.tokens_per_second, 1), "ttft_s": round(s.prompt_seconds, 3), "tokens": s.generated_tokens}

results = []
for ngl in (0, -1):
    for threads in (2, 16):
        if ngl == -1 and threads == 2:
            continue
        for label, fn in (("raw", raw), ("engine", engine)):
            r = {"kind": label, "gpu_layers": ngl, "threads": threads, **fn(ngl, threads)}
            print(json.dumps(r), flush=True); results.append(r)
json.dump({**out, "results": results}, open(os.environ["OUT"] + "/gpu_bench.json", "w"), indent=1)
