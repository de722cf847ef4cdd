#!/usr/bin/env bash
# The README's memory row: 1,000,000 users at rank 32, biased MF alone, 2,000,000 ratings (each user once, then
# 1,000,000 at random over 20,000 items), replayed with a checkpoint every 50,000 events and with one at the end only;
# the fixed overhead is the peak RSS of a replay of the file's first 1,000 lines. Builds are run in turn, ROUNDS times.
# Per run one JSON line: peak RSS, live heap at the end (for builds that report it), events/s, managed memory allocated,
# and (RSS - fixed) / parameters, where the parameters are 264 MiB (1,000,000 user rows x 34 floats and 20,000 item rows
# x 33, and their AdaGrad accumulators). At the end, per build and mode, the median peak and ratio over the rounds: the
# periodic peak varies by 25 MiB or more between runs of one build, so compare medians of several rounds.
# RECOSTREAM_MEMORY_MODES="periodic" (or "end") runs only that replay.
# Usage: tools/bench-memory.sh [ROUNDS] [BUILD_DIR...]
#   A BUILD_DIR holds a worker build (RecoStream.Worker.dll and its files); the default is this checkout's Release
#   build (built when missing). ROUNDS defaults to 1. The stream is written once to $RECOSTREAM_MEMORY_STREAM
#   (default /tmp/recostream-memory.jsonl, about 160 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-1}
shift $(( $# < 1 ? $# : 1 ))
builds=("$@")
if [ ${#builds[@]} -eq 0 ]; then
  builds=(src/RecoStream.Worker/bin/Release/net10.0)
  [ -f "${builds[0]}/RecoStream.Worker.dll" ] || dotnet build src/RecoStream.Worker -c Release --nologo -v quiet -clp:ErrorsOnly >&2
fi
stream=${RECOSTREAM_MEMORY_STREAM:-/tmp/recostream-memory.jsonl}
if [ ! -s "$stream" ]; then
  awk 'BEGIN{srand(11); for(n=0;n<2000000;n++){u=(n<1000000)?n:int(rand()*1000000); i=int(rand()*20000); v=1+(u*7+i*3)%5; printf("{\"user\":\"u%d\",\"item\":\"i%d\",\"type\":\"rating\",\"value\":%d,\"ts\":%.0f}\n", u, i, v, 1600000000000+n*10)}}' > "$stream"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -1000 "$stream" > "$work/first1000.jsonl"

replay() {  # replay BUILD FILE [arguments...]: the summary line
  local build=$1 file=$2
  shift 2
  rm -rf "$work/store"
  dotnet "$build/RecoStream.Worker.dll" replay "$file" --learner mf --RecoStream:Storage:Path="$work/store" \
    --RecoStream:Evaluation:RankingEvery=0 "$@" 2>/dev/null | tail -1
}

for round in $(seq "$rounds"); do
  for build in "${builds[@]}"; do
    fixed=$(replay "$build" "$work/first1000.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["peak_rss_mib"])')
    for mode in ${RECOSTREAM_MEMORY_MODES:-periodic end}; do
      args=()
      [ "$mode" = end ] && args=(--RecoStream:Storage:CheckpointEveryEvents=100000000)
      replay "$build" "$stream" "${args[@]}" | python3 -c '
import json, sys
build, mode, round_, fixed = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
s = json.load(sys.stdin)
print(json.dumps({"build": build, "round": round_, "checkpoints": mode, "peak_rss_mib": s["peak_rss_mib"],
    "live_heap_mib": s.get("live_heap_mib"), "fixed_mib": fixed, "ratio": round((s["peak_rss_mib"] - fixed) / 264, 2),
    "events_per_sec": s["events_per_sec"], "allocated_mib": s["allocated_mib"]}))' "$build" "$mode" "$round" "$fixed" | tee -a "$work/runs.jsonl"
    done
  done
done

python3 - "$work/runs.jsonl" <<'SUMMARY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
for key in dict.fromkeys((r["build"], r["checkpoints"]) for r in runs):
    mine = [r for r in runs if (r["build"], r["checkpoints"]) == key]
    print(json.dumps({"build": key[0], "checkpoints": key[1], "runs": len(mine),
        "median_peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in mine),
        "median_ratio": statistics.median(r["ratio"] for r in mine)}))
SUMMARY
