#!/bin/bash
# Device call 2: assemble the model, run llama-bench, the Python benchmark and make a control vector.
set -u
W=/root/gpu; cd "$(dirname "$0")"; REPO=$(cd ../.. && pwd)
cat $W/model.part1 model.part2 > $W/model.gguf && sha256sum $W/model.gguf | cut -c1-16
export LLAMA_CPP_LIB_PATH=$W/llama.cpp/build/bin LD_LIBRARY_PATH=$W/llama.cpp/build/bin PYTHONPATH=$W/site
B=$W/llama.cpp/build/bin
$B/llama-bench -m $W/model.gguf -ngl 0,99 -t 16 -p 512 -n 128 -r 3 -o md 2>/dev/null | tee $OUT/llama_bench.md
$B/llama-cvector-generator -m $W/model.gguf -ngl 99 --method mean --positive-file cv_positive.txt \
  --negative-file cv_negative.txt -o $OUT/smollm2-135m-hedging.gguf > $OUT/cvector.log 2>&1; echo "cvector rc=$?"; tail -3 $OUT/cvector.log
cd $REPO && PYTHONUNBUFFERED=1 timeout 200 python3 bench/gpu/gpu_bench.py $W/model.gguf 2>&1 | grep -v "^llama\|^load\|^print_info\|^ggml\|^\.\.\." | tail -20
