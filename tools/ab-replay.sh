#!/usr/bin/env bash
# Alternating A/B replays of two worker builds over one file. Per run it prints one JSON line: events/s, CPU seconds and
# peak RSS from the replay's summary (and the managed memory allocated and GC count, for builds that report them) and,
# when perf is installed, the CPU samples (perf record -F 999) of the pipeline
# thread, the reading thread and the thread pool (checkpoint writes): on a shared machine a thread's samples vary less
# than events/s, and they show which thread a change made cheaper. At the end, the median of each figure per build.
# Usage: tools/ab-replay.sh A_DIR B_DIR FILE [ROUNDS] [replay arguments...]
#   A_DIR and B_DIR each hold a worker build (RecoStream.Worker.dll and its files), e.g. a copy of
#   src/RecoStream.Worker/bin/Release/net10.0 made at each of the two commits. ROUNDS defaults to 4. The replay
#   arguments default to --learner mf --RecoStream:Evaluation:RankingEvery=0; a fresh store is used for every run.
set -euo pipefail
source "$(dirname "$0")/ab-common.sh"
usage="usage: tools/ab-replay.sh A_DIR B_DIR FILE [ROUNDS] [replay arguments...]"
a=${1:?$usage}
b=${2:?$usage}
file=${3:?$usage}
rounds=${4:-4}
shift $(( $# < 4 ? $# : 4 ))
extra=("$@")
[ ${#extra[@]} -gt 0 ] || extra=(--learner mf --RecoStream:Evaluation:RankingEvery=0)
perf_ok=0
command -v perf >/dev/null && perf record -q -o "$work/probe.data" -- true 2>/dev/null && perf_ok=1

run() {  # run BUILD_NAME DIR ROUND
  rm -rf "$work/store"
  local cmd=(dotnet "$2/RecoStream.Worker.dll" replay "$file" --RecoStream:Storage:Path="$work/store" "${extra[@]}")
  if [ $perf_ok = 1 ]; then
    perf record -q -F 999 -o "$work/perf.data" -- "${cmd[@]}" >"$work/summary.json" 2>/dev/null
    perf report -n -i "$work/perf.data" --sort comm --stdio 2>/dev/null | awk '
      /recostream-pipe/ {p=$2} /recostream-repl/ {r=$2} /TP Worker/ {t=$2}
      END { printf "{\"pipeline_samples\":%d,\"reader_samples\":%d,\"pool_samples\":%d}\n", p, r, t }' >"$work/threads.json"
  else
    "${cmd[@]}" >"$work/summary.json" 2>/dev/null
    echo '{"pipeline_samples":null,"reader_samples":null,"pool_samples":null}' >"$work/threads.json"
  fi
  python3 - "$1" "$3" "$work/summary.json" "$work/threads.json" <<'PY'
import json, sys
name, round_, summary, threads = sys.argv[1], int(sys.argv[2]), json.load(open(sys.argv[3])), json.load(open(sys.argv[4]))
print(json.dumps({"build": name, "round": round_, **{k: summary[k] for k in ("events_per_sec", "cpu_seconds", "peak_rss_mib") + tuple(k for k in ("allocated_mib", "gc_collections") if k in summary)}, **threads}))
PY
}

ab_alternate "$rounds" "$a" "$b" "$work/runs.jsonl"
