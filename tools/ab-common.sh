# Shared by tools/ab-replay.sh, tools/ab-tcp.sh and tools/ab-recommend.sh (sourced, not run): alternates runs of two
# builds and prints the median of every numeric figure per build.
# ab_alternate ROUNDS A_DIR B_DIR OUT_FILE: calls `run A A_DIR ROUND` then `run B B_DIR ROUND` for each round (the
# sourcing script defines run, which prints one JSON line per run with "build" and "round"), keeps the lines in
# OUT_FILE, then prints {"build": ..., "runs": ..., "median": {...}} for each build.
# Sourcing it also makes the scratch folder $work (removed on exit).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ab_load_generator: sets L to the Release build of tools/RecoStream.Load, building it when missing (from the
# repository's root).
ab_load_generator() {
  L=tools/RecoStream.Load/bin/Release/net10.0/RecoStream.Load.dll
  [ -f "$L" ] || dotnet build tools/RecoStream.Load -c Release --nologo -v quiet -clp:ErrorsOnly >&2
}

# ab_wait_for_port PORT: waits (up to 20 s) until a worker accepts connections on 127.0.0.1:PORT.
ab_wait_for_port() {
  for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.1; done
}

ab_alternate() {
  local rounds=$1 a=$2 b=$3 out=$4 r
  for r in $(seq "$rounds"); do
    run A "$a" "$r"
    run B "$b" "$r"
  done | tee "$out"
  python3 - "$out" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
for build in ("A", "B"):
    mine = [r for r in runs if r["build"] == build]
    numeric = [k for k, v in mine[0].items() if k not in ("build", "round") and isinstance(v, (int, float)) and not isinstance(v, bool)]
    medians = {k: statistics.median(r[k] for r in mine) for k in numeric}
    print(json.dumps({"build": build, "runs": len(mine), "median": medians}))
PY
}
