using System.Text.Json;
using RecoStream.EventGen;

namespace RecoStream.Worker.Tests;

public sealed class WorkerEndToEndTests : IDisposable
{
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    private string[] Args(int metricsPort) =>
    [
        $"--RecoStream:Storage:Path={_store.Path}",
        $"--RecoStream:Metrics:Port={metricsPort}",
        "--RecoStream:Storage:CheckpointEveryEvents=5000",
    ];

    [Fact]
    public async Task Run_GeneratedStream_LearnsExposesMetricsAndRestoresSameRecommendations()
    {
        var lines = new SyntheticEventGenerator(new SyntheticEventOptions { Events = 30_000, Users = 300, Items = 400, BadFraction = 0.02, Seed = 7 })
            .LabelledLines().ToList();
        var valid = lines.Count(l => l.Valid);
        var ratings = lines.Count(l => l.Valid && l.Line.Contains("\"type\":\"rating\"", StringComparison.Ordinal));
        var bad = lines.Count - valid;
        const string Recommend = """{"op":"recommend","user":"u5","k":5}""";
        var port = WorkerProcess.FreePort();

        string firstAnswer;
        using (var worker = WorkerProcess.Start(Args(port)))
        {
            worker.Send(lines.Select(l => l.Line));
            worker.Send("""{"op":"recommend","user":"u5","k":0}""");
            var error = JsonDocument.Parse(worker.ReadLine()).RootElement;
            Assert.Contains("'k'", error.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(lines.Count + 1, error.GetProperty("line").GetInt64());

            // The error answer comes after every event before it was applied: the metrics must show all of them.
            var metrics = await WorkerProcess.ScrapeAsync(port);
            Assert.Equal(lines.Count, Metrics.Value(metrics, "recostream_events_received_total{source=\"stdin\"}"));
            Assert.Equal(valid, Metrics.Value(metrics, "recostream_model_updates_total{learner=\"linear\"}"));
            Assert.Equal(bad + 1, Metrics.Sum(metrics, "recostream_events_rejected_total"));
            Assert.Equal(1, Metrics.Value(metrics, "recostream_events_rejected_total{reason=\"bad_request\"}"));
            Assert.True(Metrics.Value(metrics, "recostream_events_rejected_total{reason=\"malformed_json\"}") > 0);
            Assert.True(Metrics.Value(metrics, "recostream_events_rejected_total{reason=\"unknown_event_type\"}") > 0);
            Assert.True(Metrics.Value(metrics, "recostream_events_rejected_total{reason=\"missing_value\"}") > 0);
            Assert.True(Metrics.Value(metrics, "recostream_events_rejected_total{reason=\"non_finite_number\"}") > 0);
            Assert.True(Metrics.Value(metrics, "recostream_events_rejected_total{reason=\"missing_field\"}") > 0);
            Assert.True(Metrics.Value(metrics, "recostream_events_rejected_total{reason=\"empty_id\"}") > 0);
            Assert.Equal(0, Metrics.Value(metrics, "recostream_events_rejected_total{reason=\"line_too_long\"}"));
            Assert.InRange(Metrics.Value(metrics, "recostream_prequential_rmse{learner=\"linear\"}")!.Value, 0.1, 3.0);
            // Biased MF learns from ratings only, the linear model from every event, the serving implicit MF from every
            // positive event (all but ratings below 4); all are evaluated side by side.
            Assert.Equal(ratings, Metrics.Value(metrics, "recostream_model_updates_total{learner=\"mf\"}"));
            Assert.InRange(Metrics.Value(metrics, "recostream_prequential_rmse{learner=\"mf\"}")!.Value, 0.1, 1.5);
            Assert.True(Metrics.Value(metrics, "recostream_model_updates_total{learner=\"implicit\"}") > valid - ratings);
            Assert.InRange(Metrics.Value(metrics, "recostream_prequential_recall_at_10{learner=\"implicit\"}")!.Value, 0.0, 1.0);
            Assert.True(Metrics.Value(metrics, "recostream_prequential_log_loss{learner=\"ftrl\"}") > 0);
            Assert.Equal(1, Metrics.Value(metrics, "recostream_learner_serving{learner=\"implicit\"}"));
            Assert.Equal(0, Metrics.Value(metrics, "recostream_learner_serving{learner=\"mf\"}"));
            // One every 5,000 events, unless one fell due while the previous was still being written (it then waits);
            // they are written in the background, so the first may still be under way.
            for (var waited = 0; waited < 400 && Metrics.Value(metrics, "recostream_checkpoints_total") < 1; waited++)
            {
                await Task.Delay(50);
                metrics = await WorkerProcess.ScrapeAsync(port);
            }

            Assert.InRange(Metrics.Value(metrics, "recostream_checkpoints_total")!.Value, 1, valid / 5000);
            Assert.Equal(400, Metrics.Value(metrics, "recostream_catalog_items"));

            worker.Send(Recommend);
            firstAnswer = worker.ReadLine();
            worker.CloseInput();
            Assert.Equal(0, worker.WaitForExit());
            Assert.Empty(worker.RemainingOutput());
            Assert.Contains("Checkpoint (end of input)", worker.Stderr, StringComparison.Ordinal);
        }

        var answer = JsonDocument.Parse(firstAnswer).RootElement;
        Assert.Equal("u5", answer.GetProperty("user").GetString());
        Assert.Equal("model", answer.GetProperty("source").GetString());
        var items = answer.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(5, items.Count);
        var scores = items.Select(i => i.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(scores.OrderDescending(), scores);
        var seenByU5 = lines.Where(l => l.Valid && l.Line.Contains("\"user\":\"u5\"", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l.Line).RootElement.GetProperty("item").GetString()).ToHashSet();
        Assert.NotEmpty(seenByU5);
        Assert.DoesNotContain(items, i => seenByU5.Contains(i.GetProperty("item").GetString()));

        using (var restarted = WorkerProcess.Start(Args(0)))
        {
            restarted.Send(Recommend);
            restarted.Send("""{"op":"recommend","user":"never-seen","k":3}""");
            restarted.CloseInput();
            Assert.Equal(0, restarted.WaitForExit());
            var output = restarted.RemainingOutput();

            Assert.Equal(firstAnswer, output[0]);
            var fallback = JsonDocument.Parse(output[1]).RootElement;
            Assert.Equal("popular", fallback.GetProperty("source").GetString());
            Assert.Equal(3, fallback.GetProperty("items").GetArrayLength());
            Assert.Contains($"{valid} events applied", restarted.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Run_OverLongAndBinaryLines_AreRejectedAndLaterLinesStillApplied()
    {
        using var worker = WorkerProcess.Start(["--RecoStream:Metrics:Port=0", $"--RecoStream:Storage:Path={_store.Path}",
            "--RecoStream:Ingest:MaxLineBytes=1024"]);
        worker.Send("""{"user":"a","item":"x","type":"view","ts":1}""");
        worker.Send("""{"user":"a","item":"y","type":"view","ts":2,"pad":" """ + new string('z', 5000) + "\"}");
        worker.Send("\u0001\u0002garbage\u00ff");
        worker.Send("""{"user":"b","item":"z","type":"purchase","ts":3}""");
        worker.Send("""{"op":"recommend","user":"new","k":10}""");
        worker.CloseInput();

        Assert.Equal(0, worker.WaitForExit());
        var answer = JsonDocument.Parse(worker.RemainingOutput().Single()).RootElement;
        Assert.Equal(["x", "z"], answer.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()).Order());
        Assert.Contains("Line 2 rejected (line_too_long)", worker.Stderr, StringComparison.Ordinal);
        Assert.Contains("Line 3 rejected (malformed_json)", worker.Stderr, StringComparison.Ordinal);
    }
}
