using System.Text.RegularExpressions;

namespace RecoStream.Worker.Tests;

/// <summary>With RECOSTREAM_GC_TRACE=1 the worker reports its memory while it runs and its allocations by type at exit.</summary>
public sealed class GcTraceTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "recostream-gctrace-" + Guid.NewGuid().ToString("N"));

    public GcTraceTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TheTrace_ReportsMemoryAndAllocationsByType_OnlyWhenAskedFor()
    {
        // Many distinct users: their id strings are allocations the trace must name.
        var file = Path.Combine(_dir, "events.jsonl");
        File.WriteAllLines(file, Enumerable.Range(0, 60_000).Select(n =>
            $"{{\"user\":\"u{n}\",\"item\":\"i{n % 50}\",\"type\":\"rating\",\"value\":4,\"ts\":{1_600_000_000_000 + n}}}"));

        var traced = Run(file, "traced", new Dictionary<string, string> { ["RECOSTREAM_GC_TRACE"] = "1" });
        var plain = Run(file, "plain", []);

        var samples = traced.Split('\n').Where(l => l.StartsWith("gc-trace t=", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(samples);
        Assert.All(samples, s => Assert.Matches(@"rss_mib=[1-9]\d* anon_mib=[1-9]\d* file_mib=[1-9]\d* committed_mib=\d+ heap_mib=\d+ fragmented_mib=\d+ promoted_mib=\d+ loh_mib=\d+", s));
        // Once the store is open, RocksDB's memory beside it.
        Assert.Contains(samples, s => Regex.IsMatch(s, @"collections=\d+ memtables_mib=\d+\.\d table_readers_mib=\d+\.\d block_cache_mib=\d+\.\d"));
        Assert.Matches(@"gc-trace allocated +\d+\.\d MiB System\.String\r?\n", traced);
        Assert.DoesNotContain("gc-trace", plain);
    }

    private string Run(string file, string store, Dictionary<string, string> environment)
    {
        using var worker = WorkerProcess.Start(["replay", file, "--learner", "mf", $"--RecoStream:Storage:Path={Path.Combine(_dir, store)}"], environment,
            unset: environment.ContainsKey("RECOSTREAM_GC_TRACE") ? [] : ["RECOSTREAM_GC_TRACE"]);
        Assert.Equal(0, worker.WaitForExit());
        return worker.Stderr;
    }
}
