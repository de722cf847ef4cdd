using System.Text;
using RocksDbSharp;

namespace RecoStream.Worker.Tests;

public sealed class WorkerStoreTests : IDisposable
{
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    private WorkerProcess Start(params string[] lines)
    {
        var worker = WorkerProcess.Start([$"--RecoStream:Storage:Path={_store.Path}", "--RecoStream:Metrics:Port=0"]);
        worker.Send(lines);
        worker.CloseInput();
        return worker;
    }

    [Fact]
    public void Start_CorruptCheckpoint_RefusesWithClearMessage()
    {
        using (var first = Start("""{"user":"a","item":"x","type":"view","ts":1}"""))
        {
            Assert.Equal(0, first.WaitForExit());
        }

        using (var raw = new Storage.Tests.RawStore(_store.Path))
        {
            raw.Set("meta", Encoding.ASCII.GetBytes("0000000000000000001/learner/mf"), [1, 2, 3]);
        }

        using var second = Start("""{"op":"recommend","user":"a"}""");
        Assert.Equal(1, second.WaitForExit());
        Assert.Contains("refusing to start", second.Stderr, StringComparison.Ordinal);
        Assert.Contains("'learner/mf'", second.Stderr, StringComparison.Ordinal);
        Assert.Empty(second.RemainingOutput());
    }

    [Fact]
    public void Start_LatestCheckpointDamaged_FallsBackToThePreviousOneAndSaysSo()
    {
        using (var first = Start("""{"user":"a","item":"x","type":"view","ts":1}"""))
        {
            Assert.Equal(0, first.WaitForExit());
        }

        using (var second = Start("""{"user":"b","item":"y","type":"view","ts":2}""", """{"user":"c","item":"z","type":"view","ts":3}"""))
        {
            Assert.Equal(0, second.WaitForExit());
        }

        using (var raw = new Storage.Tests.RawStore(_store.Path))
        {
            var key = Encoding.ASCII.GetBytes("0000000000000000002/catalog");
            var bytes = raw.Get("serving", key);
            raw.Set("serving", key, bytes[..(bytes.Length / 2)]);
        }

        using var third = Start("""{"op":"recommend","user":"a"}""");
        Assert.Equal(0, third.WaitForExit());
        Assert.Contains("checkpoint 2 is unusable", third.Stderr, StringComparison.Ordinal);
        Assert.Contains("'catalog'", third.Stderr, StringComparison.Ordinal);
        Assert.Contains("restored checkpoint 1 ", third.Stderr, StringComparison.Ordinal);
        Assert.Contains(": 1 events applied", third.Stderr, StringComparison.Ordinal);
        Assert.Single(third.RemainingOutput());
    }

    [Fact]
    public async Task HotSet_RowsBeyondIt_LiveInTheStore_AreCountedAndServedAfterARestart()
    {
        var port = WorkerProcess.FreePort();
        string[] args = [$"--RecoStream:Storage:Path={_store.Path}", $"--RecoStream:Metrics:Port={port}", "--RecoStream:Serving:Learner=mf",
            "--RecoStream:Learners:mf:Rows:HotRows=16"];
        // 300 users rate 40 items; then the worker waits (stdin open) to be scraped.
        var lines = Enumerable.Range(0, 3000).Select(n => $$"""{"user":"u{{n % 300}}","item":"i{{n % 40}}","type":"rating","value":{{1 + n % 5}},"ts":{{n}}}""");
        double before;
        using (var first = WorkerProcess.Start(args))
        {
            first.Send(lines);
            first.Send("""{"op":"predict","user":"u7","item":"i3"}""");
            before = System.Text.Json.JsonDocument.Parse(first.ReadLine()).RootElement.GetProperty("score").GetDouble();
            var metrics = await WorkerProcess.ScrapeAsync(port);
            Assert.Equal(300, Metrics.Value(metrics, """recostream_rows{learner="mf",table="user"}"""));
            Assert.True(Metrics.Value(metrics, """recostream_rows_in_memory{learner="mf",table="user"}""") <= 16);
            Assert.True(Metrics.Value(metrics, """recostream_row_evictions_total{learner="mf",table="user"}""") > 2000);
            Assert.True(Metrics.Value(metrics, """recostream_row_lookups_total{learner="mf",table="user",result="miss"}""") > 2000);
            Assert.InRange(Metrics.Value(metrics, """recostream_rows_hot_set_hit_ratio{learner="mf",table="user"}""") ?? -1, 0, 0.5);
            first.CloseInput();
            Assert.Equal(0, first.WaitForExit());
        }

        using var second = WorkerProcess.Start(args);
        second.Send("""{"op":"predict","user":"u7","item":"i3"}""");
        Assert.Equal(before, System.Text.Json.JsonDocument.Parse(second.ReadLine()).RootElement.GetProperty("score").GetDouble());
        second.CloseInput();
        Assert.Equal(0, second.WaitForExit());
    }

    [Fact]
    public void Start_StoreMissingAColumnFamily_RefusesNamingIt()
    {
        using (var first = Start("""{"user":"a","item":"x","type":"view","ts":1}"""))
        {
            Assert.Equal(0, first.WaitForExit());
        }

        using (var raw = new Storage.Tests.RawStore(_store.Path))
        {
            raw.Db.DropColumnFamily("optimizer");
        }

        using var second = Start("""{"op":"recommend","user":"a"}""");
        Assert.Equal(1, second.WaitForExit());
        Assert.Contains("refusing to start", second.Stderr, StringComparison.Ordinal);
        Assert.Contains("no 'optimizer' column family", second.Stderr, StringComparison.Ordinal);
        Assert.Empty(second.RemainingOutput());
    }

    [Fact]
    public void Start_StoreHeldByAnotherWorker_ExitsOneNamingThePath()
    {
        using var db = RocksDb.Open(new DbOptions().SetCreateIfMissing(true), _store.Path);

        using var worker = Start();
        Assert.Equal(1, worker.WaitForExit());
        Assert.Contains("cannot open the store", worker.Stderr, StringComparison.Ordinal);
        Assert.Contains("RecoStream:Storage:Path", worker.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_DifferentHashBitsThanStore_RefusesNamingTheKey()
    {
        using (var first = Start("""{"user":"a","item":"x","type":"view","ts":1}"""))
        {
            Assert.Equal(0, first.WaitForExit());
        }

        using var second = WorkerProcess.Start([$"--RecoStream:Storage:Path={_store.Path}", "--RecoStream:Metrics:Port=0", "--RecoStream:Learners:linear:HashBits=12"]);
        second.CloseInput();
        Assert.Equal(1, second.WaitForExit());
        Assert.Contains("RecoStream:Learners:linear:HashBits", second.Stderr, StringComparison.Ordinal);
    }
}
