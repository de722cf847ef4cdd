namespace RecoStream.Worker;

/// <summary>The text of <c>--help</c>.</summary>
internal static class Usage
{
    public const string Text = """
        RecoStream worker: learns recommendations from a stream of user-behaviour events.

        Usage:
          RecoStream.Worker [--RecoStream:Section:Key=value ...]

        Reads JSON Lines from standard input until end of input (or SIGTERM), learns from each event,
        answers request lines on standard output, checkpoints to the store and exits 0. Logs go to stderr.

          event:    {"user":"u42","item":"i17","type":"rating","value":4.0,"ts":1700000000123,"features":{"price":19.9}}
          request:  {"op":"recommend","user":"u42","k":10}

        Settings come from appsettings.json beside the binary, then environment variables
        (RecoStream__Storage__Path=...), then the command line (--RecoStream:Storage:Path=...).
        Common ones:
          --RecoStream:Storage:Path=DIR        store folder (default data/recostream)
          --RecoStream:Metrics:Port=N          /metrics port on 127.0.0.1 (default 9464, 0 = off)
          --RecoStream:Learner:LearningRate=X  SGD step size (default 0.02)
        The README lists every key.

        Exit codes: 0 done, 1 runtime or store error, 2 invalid configuration.

        """;
}
