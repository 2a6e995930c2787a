#!/usr/bin/env bash
# The preference loop: each round a person labels the current model's answers, and DPO trains the adapter further.
#   submit/collect-loop.sh --model DIR --prompts FILE --work DIR [--rounds N] [--adapter DIR] [--annotator NAME]
#                          [--collect "ARGS"] [--prepare "ARGS"] [--precompute "ARGS"] [--train "ARGS"]
# Round r (r = 1..N) runs in WORK/round-r:
#   collect --model DIR [--adapter <previous adapter>] --prompts FILE --out round-r/prefs.jsonl   (a person picks)
#   prepare --input round-r/prefs.jsonl --tokenizer DIR --out round-r/prepared
#   precompute-ref --data round-r/prepared --model DIR [--adapter <previous adapter>] --out round-r/ref
#   train --data round-r/ref --model DIR [--adapter-init <previous adapter>] --out round-r/train
# so each round starts from the last round's adapter (round-r/train/adapter), which is also the round's DPO reference.
# The first round starts from --adapter (or a fresh LoRA on the base model). Keys may come from standard input
# (scripts, tests): each collect takes only the keys it uses. Rerunning the script continues: finished rounds
# (train/summary.json present) are skipped and an interrupted collect resumes where it stopped. When the person
# quits collect (q) with pairs left, the script stops with exit code 5; rerun it to continue.
# Environment: SPARK_DPO_LAUNCHER runs one command (default: submit/local.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAUNCH="${SPARK_DPO_LAUNCHER:-$ROOT/submit/local.sh}"
MODEL="" PROMPTS="" WORK="" ROUNDS=1 ADAPTER="" ANNOTATOR="${USER:-annotator}"
COLLECT_ARGS="" PREPARE_ARGS="" PRECOMPUTE_ARGS="" TRAIN_ARGS=""

usage() { sed -n '2,4p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "error: $*" >&2; exit "${2:-1}"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) MODEL="$2"; shift 2 ;;
    --prompts) PROMPTS="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --adapter) ADAPTER="$2"; shift 2 ;;
    --annotator) ANNOTATOR="$2"; shift 2 ;;
    --collect) COLLECT_ARGS="$2"; shift 2 ;;
    --prepare) PREPARE_ARGS="$2"; shift 2 ;;
    --precompute) PRECOMPUTE_ARGS="$2"; shift 2 ;;
    --train) TRAIN_ARGS="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option '$1'" >&2; usage ;;
  esac
done
[[ -n "$MODEL" && -n "$PROMPTS" && -n "$WORK" ]] || { echo "error: --model, --prompts and --work are required" >&2; usage; }
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "--rounds: must be a positive integer, got '$ROUNDS'" 2
[[ -z "$ADAPTER" || -f "$ADAPTER/adapter_config.json" ]] || die "--adapter: $ADAPTER holds no adapter_config.json" 2

log() { echo "[collect-loop $(date +%H:%M:%S)] $*" >&2; }
# shellcheck disable=SC2086  # the extra ARGS strings are split into words on purpose
run() { "$LAUNCH" "$@"; }

PREV="$ADAPTER"
for ((r = 1; r <= ROUNDS; r++)); do
  DIR="$WORK/round-$r"
  mkdir -p "$DIR"
  if [[ -f "$DIR/train/summary.json" && -f "$DIR/train/adapter/adapter_config.json" ]]; then
    log "round $r: done earlier ($DIR/train/adapter)"
    PREV="$DIR/train/adapter"
    continue
  fi
  log "round $r: collect (adapter: ${PREV:-none})"
  rc=0
  # shellcheck disable=SC2086
  run collect --model "$MODEL" ${PREV:+--adapter "$PREV"} --prompts "$PROMPTS" --out "$DIR/prefs.jsonl" \
      --annotator "$ANNOTATOR" $COLLECT_ARGS || rc=$?
  if [[ $rc -eq 5 ]]; then log "round $r: collect stopped with pairs left; rerun this script to continue"; exit 5; fi
  [[ $rc -eq 0 ]] || die "round $r: collect failed (exit $rc)" "$rc"
  [[ -s "$DIR/prefs.jsonl" ]] || die "round $r: no preferences in $DIR/prefs.jsonl (only ties, both-bad or skips); nothing to train on"
  log "round $r: $(wc -l < "$DIR/prefs.jsonl") preference pairs; prepare"
  # shellcheck disable=SC2086
  run prepare --input "$DIR/prefs.jsonl" --tokenizer "$MODEL" --out "$DIR/prepared" --overwrite $PREPARE_ARGS < /dev/null
  log "round $r: precompute-ref"
  # shellcheck disable=SC2086
  run precompute-ref --data "$DIR/prepared" --model "$MODEL" ${PREV:+--adapter "$PREV"} --out "$DIR/ref" --overwrite \
      $PRECOMPUTE_ARGS < /dev/null
  log "round $r: train (from ${PREV:-a fresh LoRA})"
  rm -rf "$DIR/train"   # an unfinished run of this round: start it again from the same adapter
  # shellcheck disable=SC2086
  run train --data "$DIR/ref" --model "$MODEL" ${PREV:+--adapter-init "$PREV"} --out "$DIR/train" $TRAIN_ARGS < /dev/null
  PREV="$DIR/train/adapter"
done
log "adapter after $ROUNDS round(s): $PREV"
echo "$PREV"
