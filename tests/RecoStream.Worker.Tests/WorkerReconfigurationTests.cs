using System.Text.Json;

namespace RecoStream.Worker.Tests;

public sealed class WorkerReconfigurationTests : IDisposable
{
    private readonly TestStore _store = new();
    private readonly string _config = Path.Combine(Path.GetTempPath(), "recostream-config-tests", Guid.NewGuid().ToString("N") + ".json");

    public WorkerReconfigurationTests()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_config)!);
    }

    public void Dispose()
    {
        _store.Dispose();
        File.Delete(_config);
    }

    private void WriteConfig(string serving, string mfMode) => File.WriteAllText(_config,
        "{\"RecoStream\":{\"Serving\":{\"Learner\":\"" + serving + "\"},\"Windows\":{\"Events\":1000},\"Learners\":{\"mf\":{\"Mode\":\"" + mfMode + "\"}}}}");

    private static async Task<string> WaitForMetricAsync(int port, string series, double value)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var scrape = await WorkerProcess.ScrapeAsync(port);
            if (Metrics.Value(scrape, series) == value || DateTime.UtcNow > deadline)
            {
                return scrape;
            }

            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task ConfigFileChange_SwitchesServingLearnerAndModeWithoutRestartOrLoss()
    {
        WriteConfig("mf", "Incremental");
        var tcp = WorkerProcess.FreePort();
        var http = WorkerProcess.FreePort();
        using var worker = WorkerProcess.Start(["--config", _config, $"--RecoStream:Storage:Path={_store.Path}",
            $"--RecoStream:Metrics:Port={http}", $"--RecoStream:Ingest:Tcp:Port={tcp}"]);
        using var client = await LineClient.ConnectAsync(tcp);
        await client.SendAsync(Enumerable.Range(0, 3000).Select(n =>
            $$"""{"user":"u{{n % 30}}","item":"i{{n % 40}}","type":"rating","value":{{n % 5 + 1}},"ts":{{n}}}"""));
        var before = JsonDocument.Parse(await client.AskAsync("""{"op":"predict","user":"u3","item":"i7"}""")).RootElement.GetProperty("score").GetDouble();
        Assert.Equal(1, Metrics.Value(await WorkerProcess.ScrapeAsync(http), "recostream_learner_serving{learner=\"mf\"}"));

        WriteConfig("implicit", "WindowedBatch");
        var scrape = await WaitForMetricAsync(http, "recostream_learner_serving{learner=\"implicit\"}", 1);
        Assert.Equal(1, Metrics.Value(scrape, "recostream_learner_serving{learner=\"implicit\"}"));
        Assert.Equal(0, Metrics.Value(scrape, "recostream_learner_serving{learner=\"mf\"}"));
        // The mode switch happens on the pipeline thread before the next line.
        await client.AskAsync("""{"op":"flush"}""");
        scrape = await WaitForMetricAsync(http, "recostream_learner_windowed_batch{learner=\"mf\"}", 1);
        Assert.Equal(1, Metrics.Value(scrape, "recostream_learner_windowed_batch{learner=\"mf\"}"));

        // Back to mf serving: its model is the one it had (no events since), so the same prediction.
        WriteConfig("mf", "WindowedBatch");
        await WaitForMetricAsync(http, "recostream_learner_serving{learner=\"mf\"}", 1);
        var after = JsonDocument.Parse(await client.AskAsync("""{"op":"predict","user":"u3","item":"i7"}""")).RootElement.GetProperty("score").GetDouble();
        Assert.Equal(before, after, 5);
        Assert.Contains("Serving learner is now 'implicit'", worker.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigFileChange_InvalidValue_IsIgnoredAndTheWorkerGoesOn()
    {
        WriteConfig("mf", "Incremental");
        var http = WorkerProcess.FreePort();
        using var worker = WorkerProcess.Start(["--config", _config, $"--RecoStream:Storage:Path={_store.Path}", $"--RecoStream:Metrics:Port={http}"]);
        await WorkerProcess.ScrapeAsync(http);

        WriteConfig("nobody", "Sideways");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!worker.Stderr.Contains("Configuration change ignored", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Contains("Configuration change ignored", worker.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, Metrics.Value(await WorkerProcess.ScrapeAsync(http), "recostream_learner_serving{learner=\"mf\"}"));
        worker.Send("""{"op":"recommend","user":"x","k":1}""");
        Assert.Contains("\"source\"", worker.ReadLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigFileChange_EnablingOrDisablingALearner_TakesARestart_AndSaysSo()
    {
        File.WriteAllText(_config, "{\"RecoStream\":{\"Serving\":{\"Learner\":\"mf\"},\"Learners\":{\"ftrl\":{\"Enabled\":false}}}}");
        var http = WorkerProcess.FreePort();
        using var worker = WorkerProcess.Start(["--config", _config, $"--RecoStream:Storage:Path={_store.Path}", $"--RecoStream:Metrics:Port={http}"]);
        await WorkerProcess.ScrapeAsync(http);

        File.WriteAllText(_config, "{\"RecoStream\":{\"Serving\":{\"Learner\":\"mf\"},\"Learners\":{\"linear\":{\"Enabled\":false}}}}");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!worker.Stderr.Contains("Learner 'linear' was removed", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Contains("Learner 'linear' was removed from (or disabled in) the configuration; it goes on learning until a restart", worker.Stderr, StringComparison.Ordinal);
        Assert.Contains("Learner 'ftrl' was added to (or enabled in) the configuration; adding a learner takes a restart", worker.Stderr, StringComparison.Ordinal);
        // The running worker keeps the learners it started with: linear still learns, ftrl still does not exist.
        worker.Send("""{"user":"u1","item":"i1","type":"rating","value":4,"ts":1}""");
        worker.Send("""{"op":"flush"}""");
        Assert.Contains("\"accepted\":1", worker.ReadLine(), StringComparison.Ordinal);
        var scrape = await WorkerProcess.ScrapeAsync(http);
        Assert.Equal(1, Metrics.Value(scrape, "recostream_model_updates_total{learner=\"linear\"}"));
        Assert.Null(Metrics.Value(scrape, "recostream_model_updates_total{learner=\"ftrl\"}"));
    }
}
