#!/usr/bin/env bash
# Submits any spark-dpo command to a Spark 3.5 cluster (standalone, YARN or Kubernetes) with the job jar:
#   submit/spark-submit.sh [--cluster standalone|yarn|k8s] [--conf-file FILE] [--conf KEY=VALUE]... [--dry-run] \
#       <command> [options]
#   e.g. submit/spark-submit.sh --conf-file conf/cluster-yarn.conf precompute-ref --data hdfs:///prep --model hdfs:///m --out hdfs:///ref
# FILE holds Spark properties, one "key value" (or key=value) per line, # comments; see conf/cluster-*.conf. Each
# becomes a --conf (so the cluster's spark-defaults.conf still applies; the file wins, --conf KEY=VALUE wins over the
# file). Two keys are the launcher's own: spark-dpo.jar (the job jar as spark-submit should see it: a local path,
# hdfs://..., or local:///... inside a Kubernetes image) and spark-dpo.spark-submit (the spark-submit to run).
# Everything from <command> on is passed to org.sparkdpo.jobs.cli.Main unchanged; its exit code is returned
# (0 ok, 1 failure, 2 usage, 3 refused, 4 locked; in cluster deploy mode spark-submit reports only success/failure).
# Environment (defaults for the flags, so the cron wrapper can use this script: SPARK_DPO_LAUNCHER=submit/spark-submit.sh):
#   SPARK_DPO_CLUSTER       --cluster                      SPARK_DPO_CLUSTER_CONF  --conf-file
#   SPARK_DPO_JOB_JAR       the job jar (default: spark-dpo.jar from the file, else jobs/target/spark-dpo-job.jar)
#   SPARK_SUBMIT            spark-submit to run (default: spark-dpo.spark-submit, $SPARK_HOME/bin/spark-submit, PATH)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { echo "[spark-submit.sh] $*" >&2; }
usage() { sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cluster="${SPARK_DPO_CLUSTER:-}"
conf_file="${SPARK_DPO_CLUSTER_CONF:-}"
dry_run=0
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cluster) cluster="${2:?--cluster needs standalone, yarn or k8s}"; shift 2 ;;
    --cluster=*) cluster="${1#--cluster=}"; shift ;;
    --conf-file) conf_file="${2:?--conf-file needs a file}"; shift 2 ;;
    --conf-file=*) conf_file="${1#--conf-file=}"; shift ;;
    --conf) extra+=("${2:?--conf needs KEY=VALUE}"); shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage ;;
    -*) say "error: unknown launcher option $1 (launcher options come before the command)"; exit 2 ;;
    *) break ;;
  esac
done
[[ $# -gt 0 ]] || { say "error: give a command, e.g. precompute-ref --help"; usage; }
if [[ -z "$conf_file" && -n "$cluster" ]]; then conf_file="$ROOT/conf/cluster-$cluster.conf"; fi
[[ -n "$conf_file" ]] || { say "error: give --cluster or --conf-file (see conf/cluster-*.conf)"; exit 2; }
[[ -f "$conf_file" ]] || { say "error: no such config file: $conf_file"; exit 2; }

# the file's properties, in order (a later key wins)
declare -A props=()
order=()
while IFS= read -r line || [[ -n "$line" ]]; do
  line="${line#"${line%%[![:space:]]*}"}"                  # trim leading blanks
  [[ -z "$line" || "$line" == \#* ]] && continue
  if [[ "$line" =~ ^([^[:space:]=]+)[[:space:]]*[=[:space:]][[:space:]]*(.*)$ ]]; then
    key="${BASH_REMATCH[1]}"; value="${BASH_REMATCH[2]}"
    value="${value%"${value##*[![:space:]]}"}"               # trim trailing blanks
    [[ -v "props[$key]" ]] || order+=("$key")
    props[$key]="$value"
  else
    say "error: $conf_file: cannot read line: $line"; exit 2
  fi
done < "$conf_file"
for kv in "${extra[@]}"; do
  key="${kv%%=*}"
  [[ -v "props[$key]" ]] || order+=("$key")
  props[$key]="${kv#*=}"
done

master="${props[spark.master]:-}"
[[ -n "$master" ]] || { say "error: $conf_file sets no spark.master"; exit 2; }
if [[ -z "$cluster" ]]; then
  case "$master" in spark://*) cluster=standalone ;; yarn*) cluster=yarn ;; k8s://*) cluster=k8s ;; *) cluster=other ;; esac
fi
case "$cluster" in
  standalone) [[ "$master" == spark://* ]] || { say "error: --cluster standalone needs spark.master spark://HOST:7077, the file has $master"; exit 2; } ;;
  yarn) [[ "$master" == yarn* ]] || { say "error: --cluster yarn needs spark.master yarn, the file has $master"; exit 2; }
        [[ -n "${HADOOP_CONF_DIR:-}${YARN_CONF_DIR:-}" || $dry_run == 1 ]] || { say "error: YARN needs HADOOP_CONF_DIR or YARN_CONF_DIR"; exit 2; } ;;
  k8s) [[ "$master" == k8s://* ]] || { say "error: --cluster k8s needs spark.master k8s://https://HOST:PORT, the file has $master"; exit 2; }
       [[ -n "${props[spark.kubernetes.container.image]:-}" ]] || { say "error: Kubernetes needs spark.kubernetes.container.image (an image with Spark 3.5 and the job jar)"; exit 2; } ;;
  other) ;;
  *) say "error: --cluster must be standalone, yarn or k8s, not $cluster"; exit 2 ;;
esac
if [[ -n "${props[spark.executor.resource.gpu.amount]:-}" && -z "${props[spark.task.resource.gpu.amount]:-}" ]]; then
  say "warning: spark.executor.resource.gpu.amount without spark.task.resource.gpu.amount: Spark will not hand GPUs to tasks"
fi

jar="${SPARK_DPO_JOB_JAR:-${props[spark-dpo.jar]:-$ROOT/jobs/target/spark-dpo-job.jar}}"
if [[ "$jar" != *://* && ! -f "$jar" && $dry_run == 0 ]]; then
  say "error: no job jar at $jar: build it with 'mvn -B -DskipTests package' (add -Pcuda for GPU executors)"; exit 2
fi
submit="${SPARK_SUBMIT:-${props[spark-dpo.spark-submit]:-}}"
if [[ -z "$submit" ]]; then
  if [[ -n "${SPARK_HOME:-}" ]]; then submit="$SPARK_HOME/bin/spark-submit"; else submit="$(command -v spark-submit || true)"; fi
fi
[[ -n "$submit" || $dry_run == 1 ]] || { say "error: no spark-submit: set SPARK_HOME or SPARK_SUBMIT"; exit 2; }

cmd=("${submit:-spark-submit}" --master "$master")
[[ -n "${props[spark.submit.deployMode]:-}" ]] && cmd+=(--deploy-mode "${props[spark.submit.deployMode]}")
for key in "${order[@]}"; do
  case "$key" in spark.master|spark.submit.deployMode|spark-dpo.*) continue ;; esac
  cmd+=(--conf "$key=${props[$key]}")
done
cmd+=(--class org.sparkdpo.jobs.cli.Main "$jar" "$@")

if [[ $dry_run == 1 ]]; then
  printf '%q ' "${cmd[@]}"; echo
  exit 0
fi
say "running: ${cmd[*]}"
exec "${cmd[@]}"
