namespace RecoStream.Worker.Tests;

/// <summary>The worker sets glibc's allocator for RocksDB's memory at start-up, unless the environment does.</summary>
public sealed class NativeHeapTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "recostream-heap-" + Guid.NewGuid().ToString("N"));

    public NativeHeapTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TheWorker_SetsTheAllocator_AndLeavesWhatTheEnvironmentSets()
    {
        var file = Path.Combine(_dir, "events.jsonl");
        File.WriteAllLines(file, Enumerable.Range(0, 50).Select(n => $"{{\"user\":\"u{n % 7}\",\"item\":\"i{n % 5}\",\"type\":\"rating\",\"value\":4,\"ts\":{1_600_000_000_000 + n}}}"));

        var plain = Run(file, "plain", []);
        var overridden = Run(file, "overridden", new Dictionary<string, string> { ["MALLOC_ARENA_MAX"] = "4" });

        // glibc takes each setting (a C library without them, as musl's stub, would show "(refused)").
        Assert.Contains("C allocator set for RocksDB's memory: MALLOC_ARENA_MAX=2, MALLOC_MMAP_THRESHOLD_=131072, MALLOC_TRIM_THRESHOLD_=131072 (", plain);
        Assert.Contains("C allocator set for RocksDB's memory: MALLOC_MMAP_THRESHOLD_=131072, MALLOC_TRIM_THRESHOLD_=131072 (", overridden);
    }

    [Fact]
    public void CheckpointWrites_AreFollowedByATrimOfTheAllocatorsArenas_AndByCompactions()
    {
        var file = Path.Combine(_dir, "events.jsonl");
        File.WriteAllLines(file, Enumerable.Range(0, 3000).Select(n => $"{{\"user\":\"u{n % 70}\",\"item\":\"i{n % 50}\",\"type\":\"rating\",\"value\":4,\"ts\":{1_600_000_000_000 + n}}}"));
        using var worker = WorkerProcess.Start(["replay", file, $"--RecoStream:Storage:Path={Path.Combine(_dir, "trims")}", "--RecoStream:Storage:CheckpointEveryEvents=500",
            "--RecoStream:Storage:CheckpointEverySeconds=0"]);
        Assert.Equal(0, worker.WaitForExit());
        var summary = System.Text.Json.JsonDocument.Parse(worker.RemainingOutput().Last()).RootElement;
        var checkpoints = summary.GetProperty("checkpoints").GetInt32();
        Assert.True(checkpoints > 1, $"{checkpoints} checkpoints");
        Assert.Equal(checkpoints, summary.GetProperty("native_heap_trims").GetInt32());
        // At least the first periodic write is followed by a compaction (a full blocking collection takes some time), and
        // at most every write but the last, which the run's final collection precedes and nothing follows.
        Assert.InRange(summary.GetProperty("heap_compactions").GetInt32(), 1, checkpoints - 1);
        Assert.True(summary.GetProperty("heap_compaction_pause_ms").GetDouble() > 0);
    }

    private string Run(string file, string store, Dictionary<string, string> environment)
    {
        string[] variables = ["MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"];
        using var worker = WorkerProcess.Start(["replay", file, $"--RecoStream:Storage:Path={Path.Combine(_dir, store)}"], environment,
            unset: variables.Where(v => !environment.ContainsKey(v)));
        Assert.Equal(0, worker.WaitForExit());
        return worker.Stderr;
    }
}
