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

        using (var db = RocksDb.Open(new DbOptions(), _store.Path))
        {
            db.Put(Encoding.ASCII.GetBytes("checkpoint/learner/mf"), new byte[] { 1, 2, 3 });
        }

        using var second = Start("""{"op":"recommend","user":"a"}""");
        Assert.Equal(1, second.WaitForExit());
        Assert.Contains("refusing to start", second.Stderr, StringComparison.Ordinal);
        Assert.Contains("'learner/mf'", second.Stderr, StringComparison.Ordinal);
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
