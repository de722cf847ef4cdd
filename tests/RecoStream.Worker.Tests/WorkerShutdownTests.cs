using RecoStream.EventGen;

namespace RecoStream.Worker.Tests;

public sealed class WorkerShutdownTests : IDisposable
{
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public void Sigterm_WithStdinOpen_CheckpointsAndExitsZero()
    {
        var lines = new SyntheticEventGenerator(new SyntheticEventOptions { Events = 12_345, Seed = 3 }).Lines().ToList();
        // The store path comes from the environment, as a systemd unit or container would set it.
        var environment = new Dictionary<string, string> { ["RecoStream__Storage__Path"] = _store.Path };

        using (var worker = WorkerProcess.Start(["--RecoStream:Metrics:Port=0"], environment))
        {
            worker.Send(lines);
            worker.Send("""{"op":"recommend","user":"u1","k":1}""");
            worker.ReadLine();

            worker.Terminate();

            Assert.Equal(0, worker.WaitForExit());
            Assert.Contains("Checkpoint (shutdown): 12345 events applied", worker.Stderr, StringComparison.Ordinal);
        }

        Assert.True(Directory.Exists(_store.Path));
        using var restarted = WorkerProcess.Start(["--RecoStream:Metrics:Port=0"], environment);
        restarted.CloseInput();
        Assert.Equal(0, restarted.WaitForExit());
        Assert.Contains("restored checkpoint", restarted.Stderr, StringComparison.Ordinal);
        Assert.Contains("12345 events applied", restarted.Stderr, StringComparison.Ordinal);
    }
}
