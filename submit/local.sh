#!/usr/bin/env bash
# Runs any spark-dpo command in Spark local mode on this machine:
#   submit/local.sh <command> [options]     e.g. submit/local.sh show out/pairs --limit 5
#   submit/local.sh --help                  lists commands; submit/local.sh <command> --help for its options
# Builds the project first when a jar or the cached classpath is missing or any pom/source/resource is newer.
# Environment:
#   SPARK_DPO_CORES     local[N] cores (default *: all)        SPARK_DPO_HEAP      JVM heap (default 4g)
#   SPARK_DPO_JAVA_OPTS extra JVM options                      SPARK_DPO_MVN_ARGS  extra Maven args (e.g. -o)
#   SPARK_DPO_NO_BUILD=1 never build                           SPARK_DPO_DEBUG=1   stack traces on failure
# stdout carries only the command's output (Maven and logs go to stderr).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="$ROOT/jobs/target"
CLASSPATH_FILE="$TARGET/local-classpath.txt"
STAMP="$TARGET/.local-build-stamp"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

log() { echo "[local.sh] $*" >&2; }

needs_build() {
  [[ -f "$STAMP" && -f "$CLASSPATH_FILE" ]] || return 0
  local m
  for m in model data-prep jobs; do
    compgen -G "$ROOT/$m/target/spark-dpo-$m-*.jar" >/dev/null || return 0
  done
  # any pom, source or resource newer than the last build
  [[ -n "$(find "$ROOT/pom.xml" "$ROOT"/{model,data-prep,jobs}/pom.xml "$ROOT"/{model,data-prep,jobs}/src/main \
            -newer "$STAMP" -print -quit 2>/dev/null)" ]]
}

build() {
  log "building spark-dpo (mvn package, tests skipped)..."
  mkdir -p "$TARGET"
  local started="$TARGET/.local-build-started"
  touch "$started"
  # package + build-classpath in one reactor run, so the classpath names the freshly built module jars;
  # the relative outputFile is resolved per module: jobs writes jobs/target/local-classpath.txt.
  # shellcheck disable=SC2086
  # includeScope=compile: compile + provided (Spark and Hadoop are provided: spark-submit's installation brings them);
  # job.jar.skip: the shaded cluster jar is not needed for local runs.
  (cd "$ROOT" && mvn -B -q -Dstyle.color=never ${SPARK_DPO_MVN_ARGS:-} -DskipTests -Djob.jar.skip=true package \
      dependency:build-classpath -Dmdep.outputFile=target/local-classpath.txt -DincludeScope=compile) 1>&2 \
    || { log "build failed"; exit 1; }
  mv "$started" "$STAMP"   # stamp = build start, so edits made during the build trigger the next one
}

if [[ "${SPARK_DPO_NO_BUILD:-0}" != 1 ]]; then
  mkdir -p "$TARGET"
  exec 9>"$TARGET/.local-build.lock"
  if command -v flock >/dev/null; then flock 9; fi   # one build at a time across concurrent launches
  if needs_build; then build; fi
  exec 9>&-
fi

CP="$(ls "$ROOT"/jobs/target/spark-dpo-jobs-*.jar | grep -v -e '-tests\.jar$' | head -1):$(cat "$CLASSPATH_FILE")"

OPENS=(
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
)

# Spark picks the driver's address from SPARK_LOCAL_IP before it reads spark.driver.host; this host's name
# resolves to a non-loopback address.
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

# shellcheck disable=SC2086
exec "$JAVA" -Xmx"${SPARK_DPO_HEAP:-4g}" "${OPENS[@]}" \
  -Djdk.reflect.useDirectMethodHandle=false \
  -Dorg.deeplearning4j.spark.time.TimeSource=org.deeplearning4j.spark.time.SystemClockTimeSource \
  -Dorg.bytedeco.javacpp.cachedir="$HOME/.javacpp/cache" \
  "-Dspark.master=local[${SPARK_DPO_CORES:-*}]" \
  -Dsparkdpo.prog=submit/local.sh \
  ${SPARK_DPO_JAVA_OPTS:-} \
  -cp "$CP" org.sparkdpo.jobs.cli.Main "$@"
