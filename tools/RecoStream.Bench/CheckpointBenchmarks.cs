using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;
using RecoStream.Core.Routing;
using RecoStream.Storage;

namespace RecoStream.Bench;

/// <summary>
/// One checkpoint of a biased-MF model (rank 32) with 100,000 users and 10,000 items: snapshot, MessagePack encoding with
/// factors as raw float32 bytes, and an atomic RocksDB write (WAL not synced, to measure the work rather than the disk);
/// against serializing the same snapshot with System.Text.Json.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class CheckpointBenchmarks
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "recostream-bench-" + Guid.NewGuid().ToString("N"));
    private ModelState _state = null!;
    private CheckpointStore _store = null!;

    [GlobalSetup]
    public void Setup()
    {
        _state = new ModelState(new FeatureOptions(), [new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 32 })], "mf", 100);
        var route = new IncrementalRoute(_state, new LabelPolicy(new LabelOptions()));
        var rng = new Random(4);
        for (var n = 0; n < 300_000; n++)
        {
            var user = n < 100_000 ? n : rng.Next(100_000);
            route.Apply(StreamItem.ForEvent(n, new UserEvent("user-" + user, "item-" + rng.Next(10_000), EventType.Rating, rng.Next(1, 6), n, [], [])));
        }

        _store = CheckpointStore.Open(_path, syncWrites: false, keep: 1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_path, recursive: true);
    }

    [Benchmark]
    public long SnapshotEncodeWrite() => _store.Write(_state.Snapshot(), 0);

    [Benchmark(Baseline = true)]
    public long SnapshotJson()
    {
        using var stream = new MemoryStream();
        JsonSerializer.Serialize(stream, _state.Snapshot());
        return stream.Length;
    }
}
