#!/usr/bin/env bash
# Benchmark of the reference precompute (not a test): reference tokens/s for a random GPT-2-shaped model next to
# this machine's measured GEMM rate and the forward-pass FLOP bound it implies.
#   submit/bench-precompute.sh [--pairs 384] [--layers 4] [--width 256] [--heads 4] [--shards 4]
#                              [--batch-tokens 8192] [--master local[2]] [--keep DIR]
# Builds the test classes (Maven, output on stderr), then runs org.sparkdpo.jobs.precompute.PrecomputeBenchmark.
# SPARK_DPO_MVN_ARGS passes extra Maven arguments (e.g. -o); SPARK_DPO_HEAP sets the heap (default 6g).
set -euo pipefail
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
  -cp "$CP" org.sparkdpo.jobs.precompute.PrecomputeBenchmark "$@"
