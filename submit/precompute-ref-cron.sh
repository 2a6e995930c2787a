#!/usr/bin/env bash
# Scheduler-safe wrapper around `precompute-ref` (cron, systemd timers, Airflow BashOperator...):
#   submit/precompute-ref-cron.sh --data PATH --model DIR --out PATH [other precompute-ref options]
# Takes an exclusive, non-blocking flock on a lock file derived from --out, then runs precompute-ref with the same
# arguments. If a previous run still holds the lock it prints who holds it and exits 4 at once, so overlapping
# schedules never run two jobs on one output. The lock is released when the job's process ends, however it ends.
# Exit codes: those of precompute-ref (0 done or already up to date, 1 failure, 2 usage, 3 refused) and 4 locked.
# Environment:
#   SPARK_DPO_LOCK_FILE  lock file to use (default: derived from --out, see below)
#   SPARK_DPO_LOCK_DIR   folder for lock files (default: beside a local --out; ${TMPDIR:-/tmp}/spark-dpo-locks for
#                        hdfs://, s3a://... outputs, which must then be scheduled from a single host)
#   SPARK_DPO_LAUNCHER   command that runs a spark-dpo command (default: submit/local.sh; on a cluster
#                        submit/spark-submit.sh, with SPARK_DPO_CLUSTER=standalone|yarn|k8s or SPARK_DPO_CLUSTER_CONF=FILE)
# The job itself also refuses a second run on the same output (exit 4, lock file .<out-name>.lock beside --out), so
# runs started by hand or from another host are caught too; this flock only avoids starting a JVM for nothing.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAUNCHER="${SPARK_DPO_LAUNCHER:-$ROOT/submit/local.sh}"
LOCKED=4

say() { echo "[precompute-ref-cron $(date -u +%Y-%m-%dT%H:%M:%SZ)] $*" >&2; }

out=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --out) out="${args[i + 1]:-}" ;;
    --out=*) out="${args[i]#--out=}" ;;
  esac
done

lock="${SPARK_DPO_LOCK_FILE:-}"
if [[ -z "$lock" ]]; then
  if [[ -z "$out" ]]; then
    say "error: give --out on the command line (or set SPARK_DPO_LOCK_FILE): the lock is derived from it"
    exit 2
  fi
  trimmed="${out%/}"
  name="$(basename "$trimmed")"
  if [[ -n "${SPARK_DPO_LOCK_DIR:-}" ]]; then
    dir="$SPARK_DPO_LOCK_DIR"
    name="$(printf '%s' "$trimmed" | tr -c 'A-Za-z0-9._-' '_')"
  elif [[ "$trimmed" == file:* || "$trimmed" != *://* ]]; then
    local_path="${trimmed#file:}"
    local_path="${local_path#//}"
    dir="$(dirname "$local_path")"
  else
    dir="${TMPDIR:-/tmp}/spark-dpo-locks"
    name="$(printf '%s' "$trimmed" | tr -c 'A-Za-z0-9._-' '_')"
  fi
  lock="$dir/.$name.precompute-ref.lock"
fi

command -v flock >/dev/null || { say "error: flock(1) is not installed (util-linux)"; exit 1; }
mkdir -p "$(dirname "$lock")" || { say "error: cannot create the lock folder for $lock"; exit 1; }
exec 9>>"$lock" || { say "error: cannot open lock file $lock"; exit 1; }
if ! flock -n 9; then
  say "locked: a previous precompute-ref run still holds $lock ($(cat "$lock" 2>/dev/null || echo 'holder unknown')); not starting (exit $LOCKED)"
  exit "$LOCKED"
fi
printf 'pid %s on %s since %s: precompute-ref --out %s\n' "$$" "$(hostname)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$out" > "$lock"

say "lock $lock taken; running: $LAUNCHER precompute-ref $*"
"$LAUNCHER" precompute-ref "$@"   # inherits fd 9: the lock lives as long as the job does
rc=$?
say "precompute-ref exited with $rc"
: > "$lock"
exit "$rc"
