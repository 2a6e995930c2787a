#!/usr/bin/env bash
# Runs org.sparkdpo.prep.bench.PrepareBenchmark (test sources): the prepare job's rows/s and tokens/s in local mode
# on the shared dataset replicated to ~100k rows, beside raw single-thread tokenizer throughput.
#   data-prep/bench.sh [--rows 100000] [--cores N|*] [--tokenizer DIR] [--data FILE]
# Needs the model module installed (mvn -o install -DskipTests -pl model) and ../shared (or --data).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mvn -B -q -o -pl data-prep test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt \
  -Dmdep.includeScope=test 1>&2
CP="data-prep/target/test-classes:data-prep/target/classes:$(cat data-prep/target/bench-classpath.txt)"
OPENS=""
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  OPENS="$OPENS --add-opens=java.base/$p=ALL-UNNAMED"
done
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
# shellcheck disable=SC2086
exec java -Xmx"${SPARK_DPO_HEAP:-6g}" $OPENS -Djdk.reflect.useDirectMethodHandle=false \
  -Dspark.driver.host=127.0.0.1 -Dspark.driver.bindAddress=127.0.0.1 -Dlog4j2.configurationFile=log4j2-test.properties \
  -cp "$CP" org.sparkdpo.prep.bench.PrepareBenchmark "$@"
