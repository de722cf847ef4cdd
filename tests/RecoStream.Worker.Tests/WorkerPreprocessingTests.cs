using System.Text.Json;

namespace RecoStream.Worker.Tests;

/// <summary>
/// The cleaning rules in the real worker: each dirty event is rejected with its reason (counted in /metrics and
/// logged), a mapped type is accepted, and the worker goes on; what was accepted survives a restart, including what
/// the cleaning stage remembers (a duplicate sent after the restart is still a duplicate).
/// </summary>
public sealed class WorkerPreprocessingTests : IDisposable
{
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    private string[] Args(int metricsPort) =>
    [
        $"--RecoStream:Storage:Path={_store.Path}",
        $"--RecoStream:Metrics:Port={metricsPort}",
        "--RecoStream:Cleaning:Late=Drop",
        "--RecoStream:Cleaning:AllowedLatenessSeconds=60",
        "--RecoStream:Cleaning:QuarantineEventsPerSecond=5",
        "--RecoStream:Cleaning:MinRating=1",
        "--RecoStream:Cleaning:TypeMap:like=click",
        "--RecoStream:Diagnostics:RejectionLogsPerSecond=1000",
    ];

    private static string Event(string user, string item, string type, long ts, string value = "") =>
        $$"""{"user":"{{user}}","item":"{{item}}","type":"{{type}}",{{value}}"ts":{{ts}}}""";

    [Fact]
    public async Task Run_DirtyStream_RejectsEachRuleWithItsReasonAndKeepsTheRest()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // On a whole second: the bot's eight clicks below (t0 + 3000 to t0 + 3007) fall in one second of event time, as the
        // quarantine counts by second (from an arbitrary t0 they straddled two seconds about once in 140 runs, and none
        // was quarantined).
        var t0 = now - 3_600_000;
        t0 -= t0 % 1000;
        var lines = new List<string>
        {
            Event("u1", "i1", "rating", t0, "\"value\":4,"),
            Event("u1", "i1", "rating", t0, "\"value\":4,"),              // duplicate
            Event("u2", "i2", "rating", t0 + 1000, "\"value\":9,"),      // out of range
            Event("u2", "i3", "like", t0 + 2000),                         // mapped to click
            Event("u3", "i1", "view", t0 - 120_000),                      // late: 122 s behind the newest
            Event("u3", "i2", "view", now + 7_200_000),                   // 2 h in the future
        };
        for (var n = 0; n < 8; n++)
        {
            lines.Add(Event("bot", "i" + n, "click", t0 + 3000 + n));   // 6th to 8th in one second: quarantined
        }

        lines.Add(Event("u4", "i9", "purchase", t0 + 5000));
        var port = WorkerProcess.FreePort();
        using var worker = WorkerProcess.Start(Args(port));
        worker.Send(lines);
        worker.Send("""{"op":"flush"}""");
        var flushed = JsonDocument.Parse(worker.ReadLine()).RootElement;
        Assert.Equal(8, flushed.GetProperty("accepted").GetInt64());
        Assert.Equal(7, flushed.GetProperty("rejected").GetInt64());

        var metrics = await WorkerProcess.ScrapeAsync(port);
        foreach (var (reason, count) in new[] { ("duplicate", 1), ("out_of_range", 1), ("late_event", 1), ("future_timestamp", 1), ("quarantined", 3) })
        {
            Assert.Equal(count, Metrics.Value(metrics, $"recostream_events_rejected_total{{reason=\"{reason}\"}}"));
        }

        Assert.Equal(1, Metrics.Value(metrics, "recostream_quarantines_total"));
        Assert.Equal(Math.Floor((t0 + 5000 - 60_000) / 1000.0), Math.Floor(Metrics.Value(metrics, "recostream_event_time_watermark_seconds")!.Value));
        Assert.True(Metrics.Value(metrics, "recostream_feature_keys_distinct") >= 10);

        worker.CloseInput();
        Assert.Equal(0, worker.WaitForExit());
        Assert.Equal(1, Metrics.Value(await ScrapeAfterRestartAsync(Event("u1", "i1", "rating", t0, "\"value\":4,")),
            "recostream_events_rejected_total{reason=\"duplicate\"}"));
        var log = worker.Stderr;
        Assert.Contains("(duplicate)", log, StringComparison.Ordinal);
        Assert.Contains("outside the scale [1, 5]", log, StringComparison.Ordinal);
        Assert.Contains("122 s behind the newest event time", log, StringComparison.Ordinal);
        Assert.Contains("ahead of the worker's clock", log, StringComparison.Ordinal);
        Assert.Contains("quarantined until event time", log, StringComparison.Ordinal);
    }

    private async Task<string> ScrapeAfterRestartAsync(string line)
    {
        var port = WorkerProcess.FreePort();
        using var restarted = WorkerProcess.Start(Args(port));
        restarted.Send(line);
        restarted.Send("""{"op":"flush"}""");
        Assert.Equal(1, JsonDocument.Parse(restarted.ReadLine()).RootElement.GetProperty("rejected").GetInt64());
        var metrics = await WorkerProcess.ScrapeAsync(port);
        restarted.CloseInput();
        Assert.Equal(0, restarted.WaitForExit());
        return metrics;
    }

    [Fact]
    public async Task Run_StreamGoesQuiet_WindowedBatchLearnerTrainsOnTheWindowWithoutWaitingForMoreEvents()
    {
        var port = WorkerProcess.FreePort();
        using var worker = WorkerProcess.Start([
            $"--RecoStream:Storage:Path={_store.Path}", $"--RecoStream:Metrics:Port={port}",
            "--RecoStream:Learners:mf:Mode=WindowedBatch", "--RecoStream:Serving:Learner=mf",
            "--RecoStream:Windows:QuietSeconds=1", "--RecoStream:Windows:Events=100000",
        ]);
        var t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000;
        worker.Send(Enumerable.Range(0, 50).Select(n => Event("u" + n % 5, "i" + n % 7, "rating", t0 + n * 100, "\"value\":5,")));
        worker.Send("""{"op":"predict","user":"u1","item":"i1"}""");
        var before = JsonDocument.Parse(worker.ReadLine()).RootElement.GetProperty("score").GetDouble();

        // No more events: after a second of quiet the window closes and the learner trains on it.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string metrics;
        do
        {
            await Task.Delay(200);
            metrics = await WorkerProcess.ScrapeAsync(port);
        }
        // A scrape reads the gauges just before the counters, so one taken as the window closes can show the counter
        // already incremented and the open window's events not yet reset: wait for both.
        while ((Metrics.Value(metrics, "recostream_windows_closed_total{trigger=\"quiet\"}") != 1 || Metrics.Value(metrics, "recostream_window_open_events") != 0)
               && DateTime.UtcNow < deadline);

        Assert.Equal(1, Metrics.Value(metrics, "recostream_windows_closed_total{trigger=\"quiet\"}"));
        Assert.Equal(0, Metrics.Value(metrics, "recostream_window_open_events"));
        worker.Send("""{"op":"predict","user":"u1","item":"i1"}""");
        var after = JsonDocument.Parse(worker.ReadLine()).RootElement.GetProperty("score").GetDouble();
        Assert.True(after > before, $"score before the window closed {before}, after {after}");
        worker.CloseInput();
        Assert.Equal(0, worker.WaitForExit());
    }
}
