#!/usr/bin/env bash
# Benchmarks (not tests), each printing throughput and the command that reproduces it:
#   submit/bench.sh precompute [--pairs 384] [--layers 4] [--width 256] [--heads 4] [--shards 4]
#                              [--batch-tokens 8192] [--master local[2]] [--keep DIR]
#       reference tokens/s for a random GPT-2-shaped model next to the measured GEMM rate and the FLOP bound
#   submit/bench.sh train [--layers 4] [--width 256] [--batch 8] [--prompt 64] [--completion 64] [--steps 10] [--workers 2]
#       DPO step and averaging-round throughput, peak memory, bytes per round (PyTorch baseline command printed)
#   submit/bench.sh dpo-step [--preset toy|gpt2-124m|qwen2-0.5b] [--layers --width --heads --kv-heads --intermediate
#                            --vocab --batch --prompt --completion --lora-r --steps --gradient-checkpointing --pytorch true|false]
#       one DPO training step, ours and the PyTorch baseline each in its own process; last line: one JSON object
#   submit/bench.sh random-model --out DIR [--preset qwen2-0.5b|gpt2-124m|toy] [--dtype BF16|F32] [--tokenizer DIR]
#                                [--pairs N --prompt P --completion C]
#       a Hugging Face checkpoint folder of that shape with random weights (and a pretokenized pairs.jsonl)
#   submit/bench.sh prepare [--rows 100000] [--cores N]   data-prep rows/s and tokens/s on the shared dataset x ~91
#   SPARK_DPO_HEAP=256m submit/bench.sh load-memory BF16 FLOAT   peak heap/off-heap loading a ~100M-parameter Llama
#   submit/bench.sh generate [--layers 4] [--width 256] [--heads 4] [--vocab 50257] [--batch 4] [--prompt 32] [--new 64]
#       generation tokens/s with and without the KV cache (PyTorch: dev-tools/bench/torch_generate.py, same options)
# Builds the test classes (Maven, output on stderr), then runs the benchmark's main class.
# dpo-step's child JVM inherits this JVM's flags: cap off-heap memory with e.g.
# JAVA_TOOL_OPTIONS="-Dorg.bytedeco.javacpp.maxbytes=10g -Dorg.bytedeco.javacpp.maxphysicalbytes=12g".
# SPARK_DPO_MVN_ARGS passes extra Maven arguments (e.g. -o); SPARK_DPO_HEAP sets the heap (default 6g).
set -euo pipefail
case "${1:-}" in
  precompute) MAIN=org.sparkdpo.jobs.precompute.PrecomputeBenchmark ;;
  train) MAIN=org.sparkdpo.jobs.train.TrainBenchmark ;;
  prepare) MAIN=org.sparkdpo.prep.bench.PrepareBenchmark ;;
  load-memory) MAIN=org.sparkdpo.model.bench.LoadMemoryBenchmark ;;
  generate) MAIN=org.sparkdpo.model.bench.GenerateBenchmark ;;
  dpo-step) MAIN=org.sparkdpo.model.bench.DpoStepComparison ;;
  random-model) MAIN=org.sparkdpo.model.bench.RandomCheckpoint ;;
  *) echo "usage: submit/bench.sh precompute|train|prepare|load-memory|generate|dpo-step|random-model [options]" >&2; exit 2 ;;
esac
shift
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CPF="$ROOT/jobs/target/bench-classpath.txt"
# shellcheck disable=SC2086
(cd "$ROOT" && mvn -B -q ${SPARK_DPO_MVN_ARGS:-} -pl jobs -am test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test) 1>&2
OPENS="$(sed -n 's:.*<jvm.opens>\(.*\)</jvm.opens>.*:\1:p' "$ROOT/pom.xml")"
CP="$ROOT/jobs/target/test-classes:$ROOT/jobs/target/classes:$(cat "$CPF")"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
# shellcheck disable=SC2086
exec java -Xmx"${SPARK_DPO_HEAP:-6g}" $OPENS -Dorg.bytedeco.javacpp.cachedir="$HOME/.javacpp/cache" \
  -cp "$CP" "$MAIN" "$@"
