#!/bin/bash
# Device call 1: build llama.cpp (the version llama-cpp-python 0.3.36 vendors) with CUDA.
set -u
W=/root/gpu; mkdir -p $W; cd "$(dirname "$0")"
cp model.part1 $W/ &
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee $OUT/gpu.txt
nvcc --version | tail -1 | tee -a $OUT/gpu.txt
lscpu | grep -E 'Model name|^CPU\(s\)' | tee -a $OUT/gpu.txt
mkdir -p $W/site && tar xzf pysite.tar.gz -C $W/site
tar xJf llama.cpp.tar.xz -C $W
cd $W/llama.cpp
start=$(date +%s)
cmake -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
  -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DGGML_CUDA_FA=OFF -DGGML_CUDA_NCCL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF > $OUT/configure.log 2>&1 || { tail -30 $OUT/configure.log; exit 1; }
cmake --build build -j 16 --target llama mtmd llama-bench llama-cvector-generator > $OUT/build.log 2>&1
rc=$?
echo "build rc=$rc in $(( $(date +%s) - start )) s"
tail -5 $OUT/build.log
ls build/bin | head -30
wait
ls -la $W/model.part1
exit $rc
