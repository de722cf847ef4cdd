namespace RecoStream.Worker;

/// <summary>The texts of <c>--help</c>.</summary>
internal static class Usage
{
    public const string Worker = """
        RecoStream worker: learns recommendations from a stream of user-behaviour events.

        Usage:
          RecoStream.Worker [--RecoStream:Section:Key=value ...]
          RecoStream.Worker replay FILE [--format auto|jsonl|movielens] [--progress] [--RecoStream:Section:Key=value ...]
          RecoStream.Worker healthcheck [--RecoStream:Metrics:Port=N]   exit 0 when the running worker's /healthz answers
          RecoStream.Worker snapshot NAME [--RecoStream:Ingest:Tcp:Port=N]  the running worker copies its store to
                                        RecoStream:Storage:SnapshotPath/NAME (a worker started on a copy has the model)

        Reads the JSON-Lines protocol from standard input (and from TCP clients when RecoStream:Ingest:Tcp:Port
        is set), learns from each event and answers each request line on the channel it came from (stdout for
        stdin). With stdin the only source it exits 0 at end of input; with TCP on it serves until SIGTERM.
        Either way it checkpoints to the store first. Logs go to stderr.

          event:    {"user":"u42","item":"i17","type":"rating","value":4.0,"ts":1700000000123,"features":{"price":19.9}}
          requests: {"op":"recommend","user":"u42","k":10}   {"op":"predict","user":"u42","item":"i3"}
                    {"op":"flush"}   {"op":"auth","token":"..."}   {"op":"snapshot","name":"nightly"}

        HTTP on the metrics port: /metrics, /recommend/{user}?k=10, /healthz, /readyz.

        --config FILE adds a JSON settings file (same shape as appsettings.json) that is watched: changing the
        serving learner or a learner's Mode in it takes effect in the running worker.

        Settings come from appsettings.json beside the binary, then --config FILE, then environment variables
        (RecoStream__Storage__Path=...), then the command line (--RecoStream:Storage:Path=...).
        Common ones:
          --RecoStream:Storage:Path=DIR        store folder (default data/recostream)
          --RecoStream:Metrics:Port=N          HTTP port on 127.0.0.1 (default 9464, 0 = off)
          --RecoStream:Ingest:Tcp:Port=N       TCP line protocol on 127.0.0.1 (default 0 = off; daemons use 7464)
          --RecoStream:Serving:Learner=NAME    the learner that answers requests (default implicit, implicit-feedback MF)
          --RecoStream:Learners:NAME:Enabled=false   leave a configured learner out (implicit, mf, ftrl, linear)
        The README lists every key.

        Exit codes: 0 done, 1 runtime or store error, 2 invalid configuration or arguments.

        """;

    public const string Replay = """
        RecoStream replay: runs the worker's pipeline over a file as fast as it can, then exits.

        Usage:
          RecoStream.Worker replay FILE [--format auto|jsonl|movielens] [--learner NAME] [--mode incremental]
                                        [--progress] [--RecoStream:Section:Key=value ...]

          FILE               JSON Lines (the worker's protocol) or MovieLens ratings: u.data (tab-separated),
                             ratings.dat ('::'-separated) or ratings.csv (with header); ratings become rating events
          --format F         auto (default: detected from the first line), jsonl or movielens
          --learner NAME     run and evaluate only this configured learner (default: all; the serving one is summarised)
          --mode M           incremental or windowed-batch: every learner in that mode (default: each learner's configured Mode)
          --progress         progress lines on stderr even when stderr is not a terminal
          --from-start       replay from line 1 even when the store has already applied part of this file (events the
                             store still remembers are rejected as duplicates unless --RecoStream:Cleaning:Deduplicate=false)

        Uses the worker's configuration and store (it continues from the stored model and leaves a store the
        worker can start from); opens no ports. Each checkpoint stores how far into the file it got: run the same
        command again after a crash and it resumes after the last checkpointed line, so every line is applied once. At the end prints one JSON line on stdout:
          {"events":N,"rejected":M,"lines":L,"requests":R,"seconds":S,"events_per_sec":E,"learner":"linear",
           "mode":"incremental","rmse":X,"mae":Y,"format":"movielens","file":"...","store":"...",
           "resumed_after_line":0}
        "learner" is the learner summarised; rmse and mae are its prequential errors over the events it learned from.
        rmse and mae are prequential over this run's events (predicted before learned); null when none.

        """;
}
