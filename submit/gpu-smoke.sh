#!/usr/bin/env bash
# GPU smoke test (< 5 minutes): on a machine with an NVIDIA GPU, runs the -Pcuda job jar's precompute-ref and a few
# train steps (the `pipeline` at reduced size: 4 SFT steps, 1 pair per question, 4 DPO steps) in Spark local mode and prints what
# happened: ND4J backend, device, free memory, and WORKS / PTX-JIT warning / the exact failure.
#   mvn -B -Pcuda -DskipTests package && submit/gpu-smoke.sh
# Needs a Spark 3.5 installation (SPARK_HOME, or SPARK_SUBMIT naming spark-submit) and Java 17.
# Environment: SPARK_DPO_JOB_JAR (default jobs/target/spark-dpo-job.jar), SPARK_DPO_SMOKE_DIR (default: a temp dir),
#   SPARK_DPO_SMOKE_TIMEOUT (seconds, default 280).
# Exit codes: 0 works on the GPU, 1 failed (the failure is printed), 3 no GPU here (the CPU fallback ran instead and
# its result is printed), 2 setup problem (no Spark, no jar).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="${SPARK_DPO_JOB_JAR:-$ROOT/jobs/target/spark-dpo-job.jar}"
WORK="${SPARK_DPO_SMOKE_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/spark-dpo-gpu-smoke.XXXXXX")}"
LIMIT="${SPARK_DPO_SMOKE_TIMEOUT:-280}"
report() { echo "gpu-smoke: $*"; }

SUBMIT="${SPARK_SUBMIT:-${SPARK_HOME:+$SPARK_HOME/bin/spark-submit}}"
SUBMIT="${SUBMIT:-$(command -v spark-submit || true)}"
[[ -n "$SUBMIT" && -x "$SUBMIT" ]] || { report "SETUP: no spark-submit (set SPARK_HOME to a Spark 3.5 installation)"; exit 2; }
[[ -f "$JAR" ]] || { report "SETUP: no job jar at $JAR (mvn -B -Pcuda -DskipTests package)"; exit 2; }

if unzip -l "$JAR" 2>/dev/null | grep -q 'org/nd4j/linalg/jcublas/JCublasBackend.class'; then jar_backend=cuda; else jar_backend=cpu; fi
gpu=0
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  gpu=1
  report "nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version,memory.free,memory.total,compute_cap --format=csv,noheader 2>/dev/null | head -1)"
  report "driver's CUDA version: $(nvidia-smi 2>/dev/null | grep -o 'CUDA Version: [0-9.]*' | head -1) (ND4J 1.0.0-M2.1 is built for CUDA 11.6: the driver must support >= 11.6)"
else
  report "no NVIDIA GPU or driver here (nvidia-smi missing or sees no device)"
fi
report "job jar: $JAR ($jar_backend build)"
if [[ $gpu == 1 && $jar_backend == cpu ]]; then
  report "FAILED: this machine has a GPU but the jar is a CPU build: mvn -B -Pcuda -DskipTests package"; exit 1
fi
if [[ $gpu == 0 && $jar_backend == cuda ]]; then
  report "FAILED (expected without a GPU): a -Pcuda jar cannot run here; running it anyway to show the error"
fi

log="$WORK/pipeline.log"
report "running the pipeline at reduced size (sft, precompute-ref, 4 train steps, eval, compare) in local mode; log: $log"
started=$(date +%s)
timeout "$LIMIT" "$SUBMIT" --master 'local[2]' --class org.sparkdpo.jobs.cli.Main \
  --conf spark.driver.host=127.0.0.1 --conf spark.ui.enabled=false \
  --driver-java-options "-Dorg.bytedeco.javacpp.cachedir=${HOME}/.javacpp/cache -Dorg.deeplearning4j.spark.time.TimeSource=org.deeplearning4j.spark.time.SystemClockTimeSource" \
  "$JAR" pipeline --out "$WORK/pipeline" --sft-steps 4 --pairs-per-question 1 --max-steps 4 --max-new-tokens 8 \
  >"$WORK/pipeline.out" 2>"$log"
rc=$?
elapsed=$(( $(date +%s) - started ))

backend_line="$(grep -m1 -o 'ND4J backend .*' "$log" || true)"
report "backend: ${backend_line:-not logged (the backend did not initialise)}"
grep -m1 -o 'base weights loaded.*' "$log" | sed 's/^/gpu-smoke: /'
ptx="$(grep -i -m3 -E 'ptx|jit|no kernel image|sm_[0-9]+' "$log" || true)"
[[ -n "$ptx" ]] && report "PTX-JIT WARNING (the GPU's architecture is newer than the CUDA 11.6 build; kernels are JIT-compiled or missing): $ptx"

if [[ $rc == 124 ]]; then
  report "FAILED: timed out after ${LIMIT}s"; tail -20 "$log"; exit 1
fi
if [[ $rc != 0 ]]; then
  report "FAILED (exit $rc after ${elapsed}s): $(grep -m1 '^error:' "$log" || tail -1 "$log")"
  grep -m3 -E 'Exception|Error' "$log" | sed 's/^/gpu-smoke:   /'
  exit 1
fi
report "result after ${elapsed}s:"; sed 's/^/gpu-smoke:   /' "$WORK/pipeline.out"
if [[ $gpu == 1 && "$backend_line" == *CUDA* ]]; then
  report "WORKS on the GPU"; exit 0
fi
if [[ $gpu == 0 ]]; then
  report "NO GPU: the pipeline ran on the CPU backend instead"; exit 3
fi
report "FAILED: a GPU is present but ND4J did not report the CUDA backend"; exit 1
