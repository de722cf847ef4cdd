using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using RecoStream.EventGen;

namespace RecoStream.Worker.Tests;

public sealed partial class WorkerOperationsTests : IDisposable
{
    private readonly TestStore _store = new();
    private readonly int _httpPort = WorkerProcess.FreePort();
    private readonly int _tcpPort = WorkerProcess.FreePort();

    public void Dispose() => _store.Dispose();

    /// <summary>A running daemon that has learned a generated stream (with bad lines), answered requests and checkpointed.</summary>
    private async Task<(WorkerProcess Worker, int Applied)> StartBusyWorkerAsync()
    {
        var lines = new SyntheticEventGenerator(new SyntheticEventOptions { Events = 20_000, BadFraction = 0.01, Seed = 21 }).LabelledLines().ToList();
        var worker = WorkerProcess.Start(
        [
            $"--RecoStream:Storage:Path={_store.Path}",
            $"--RecoStream:Metrics:Port={_httpPort}",
            $"--RecoStream:Ingest:Tcp:Port={_tcpPort}",
            "--RecoStream:Storage:CheckpointEveryEvents=5000",
        ]);
        using var client = await LineClient.ConnectAsync(_tcpPort);
        await client.SendAsync(lines.Select(l => l.Line));
        await client.AskAsync("""{"op":"recommend","user":"u1","k":5}""");
        await client.AskAsync("""{"op":"flush"}""");
        return (worker, lines.Count(l => l.Valid));
    }

    [Fact]
    public async Task AbsoluteErrorHistogram_ObservedPerBatch_CountsEveryPrediction_AndItsMeanIsTheMae()
    {
        // The histogram is handed a batch's errors a bucket at a time: its count and sum still match the evaluator's.
        var lines = Enumerable.Range(0, 3000).Select(n =>
            $$"""{"user":"u{{n % 50}}","item":"i{{n % 30}}","type":"rating","value":{{1 + (n * 7 % 5)}},"ts":{{1_700_000_000_000L + (n * 1000L)}}}""");
        using var worker = WorkerProcess.Start(
        [
            $"--RecoStream:Storage:Path={_store.Path}",
            $"--RecoStream:Metrics:Port={_httpPort}",
            $"--RecoStream:Ingest:Tcp:Port={_tcpPort}",
            "--RecoStream:Serving:Learner=mf",
        ]);
        using var client = await LineClient.ConnectAsync(_tcpPort);
        await client.SendAsync(lines);
        await client.AskAsync("""{"op":"flush"}""");

        var scrape = await WorkerProcess.ScrapeAsync(_httpPort);
        var count = Metrics.Value(scrape, """recostream_prequential_absolute_error_count{learner="mf"}""");
        var sum = Metrics.Value(scrape, """recostream_prequential_absolute_error_sum{learner="mf"}""");
        var mae = Metrics.Value(scrape, """recostream_prequential_mae{learner="mf"}""");
        Assert.Equal(3000, count);
        Assert.Equal(mae!.Value, sum!.Value / count!.Value, 1e-9);
        var buckets = BucketLine().Matches(scrape).Select(m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(12, buckets.Length);
        Assert.True(buckets.Zip(buckets.Skip(1)).All(p => p.First <= p.Second), string.Join(", ", buckets));
        Assert.Equal(3000, buckets[^1]);
        Assert.True(buckets[0] < 3000 && buckets[^2] == 3000, string.Join(", ", buckets)); // spread over buckets, none beyond 1000
    }

    [GeneratedRegex("""^recostream_prequential_absolute_error_bucket\{learner="mf",le="[^"]+"\} (?<value>\S+)$""", RegexOptions.Multiline)]
    private static partial Regex BucketLine();

    [Fact]
    public async Task Metrics_LiveScrape_PassesPromtoolCheckWithoutLintWarnings()
    {
        var (worker, _) = await StartBusyWorkerAsync();
        using (worker)
        {
            var scrape = await WorkerProcess.ScrapeAsync(_httpPort);

            var (exitCode, output) = ExternalTool.Run("promtool", ["check", "metrics"], scrape);

            Assert.True(exitCode == 0 && output.Trim().Length == 0, $"promtool exit {exitCode}:\n{output}");
            Assert.Contains("recostream_pipeline_latency_seconds_bucket", scrape, StringComparison.Ordinal);
            Assert.Matches(BuildInfo(), scrape);
        }
    }

    [Fact]
    public async Task Prometheus_WithRepoConfig_ScrapesTheWorkersSeries()
    {
        var (worker, applied) = await StartBusyWorkerAsync();
        using (worker)
        {
            var folder = Path.Combine(_store.Path, "prometheus");
            Directory.CreateDirectory(folder);
            var config = File.ReadAllText(Path.Combine(WorkerProcess.RepoRoot, "config", "prometheus.yml"))
                .Replace("127.0.0.1:9464", $"127.0.0.1:{_httpPort}", StringComparison.Ordinal)
                .Replace("scrape_interval: 5s", "scrape_interval: 1s", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(folder, "prometheus.yml"), config);
            var prometheusPort = WorkerProcess.FreePort();
            var info = new ProcessStartInfo(ExternalTool.Require("prometheus"))
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add($"--config.file={Path.Combine(folder, "prometheus.yml")}");
            info.ArgumentList.Add($"--storage.tsdb.path={Path.Combine(folder, "data")}");
            info.ArgumentList.Add($"--web.listen-address=127.0.0.1:{prometheusPort}");
            using var prometheus = Process.Start(info)!;
            _ = prometheus.StandardError.ReadToEndAsync();
            _ = prometheus.StandardOutput.ReadToEndAsync();
            try
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                var query = new Uri($"http://127.0.0.1:{prometheusPort}/api/v1/query?query=" + Uri.EscapeDataString("recostream_model_updates_total{learner=\"linear\"}"));
                var deadline = DateTime.UtcNow.AddSeconds(90);
                JsonElement? sample = null;
                while (sample is null && DateTime.UtcNow < deadline)
                {
                    try
                    {
                        var body = JsonDocument.Parse(await http.GetStringAsync(query)).RootElement;
                        var results = body.GetProperty("data").GetProperty("result");
                        if (results.GetArrayLength() > 0)
                        {
                            sample = results[0];
                        }
                    }
                    catch (HttpRequestException)
                    {
                        // Prometheus is still starting.
                    }

                    if (sample is null)
                    {
                        await Task.Delay(500);
                    }
                }

                Assert.True(sample is not null, "Prometheus never returned recostream_model_updates_total");
                var metric = sample.Value.GetProperty("metric");
                Assert.Equal("recostream", metric.GetProperty("job").GetString());
                Assert.Equal("recostream", metric.GetProperty("service").GetString());
                Assert.Equal("linear", metric.GetProperty("learner").GetString());
                Assert.Equal(applied, double.Parse(sample.Value.GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture));
            }
            finally
            {
                prometheus.Kill();
                prometheus.WaitForExit();
            }
        }
    }

    [Fact]
    public async Task Dashboard_EveryMetricItQueries_IsExposedByTheWorker()
    {
        var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(WorkerProcess.RepoRoot, "config", "grafana", "recostream.json"))).RootElement;
        var expressions = dashboard.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)
            .ToList();
        var names = expressions.SelectMany(e => MetricName().Matches(e).Select(m => m.Value)).ToHashSet();
        Assert.True(names.Count > 20, $"only {names.Count} metric names found in the dashboard");
        Assert.Equal("datasource", dashboard.GetProperty("templating").GetProperty("list")[0].GetProperty("type").GetString());

        var (worker, _) = await StartBusyWorkerAsync();
        using (worker)
        {
            var scrape = await WorkerProcess.ScrapeAsync(_httpPort);
            var families = TypeLine().Matches(scrape).Select(m => m.Groups["name"].Value).ToHashSet();

            var missing = names.Where(n => !families.Contains(n) && !(n.EndsWith("_bucket", StringComparison.Ordinal) && families.Contains(n[..^"_bucket".Length])))
                .ToList();
            Assert.True(missing.Count == 0, "not in a live scrape: " + string.Join(", ", missing));
        }
    }

    [Fact]
    public async Task Healthcheck_RunningWorker_ExitsZero_OtherwiseOne()
    {
        var (worker, _) = await StartBusyWorkerAsync();
        using (worker)
        {
            using var check = WorkerProcess.Start(["healthcheck", $"--RecoStream:Metrics:Port={_httpPort}"]);
            Assert.Equal(0, check.WaitForExit());
        }

        using var nobody = WorkerProcess.Start(["healthcheck", $"--RecoStream:Metrics:Port={WorkerProcess.FreePort()}"]);
        Assert.Equal(1, nobody.WaitForExit());
    }

    [Fact]
    public void JsonLogFormat_EveryStderrLineIsAJsonObject()
    {
        using var worker = WorkerProcess.Start([$"--RecoStream:Storage:Path={_store.Path}", "--RecoStream:Metrics:Port=0",
            "--RecoStream:Diagnostics:LogFormat=Json"]);
        worker.Send("""{"user":"u","item":"i","type":"teleport","ts":1}""");
        worker.Send("""{"user":"u","item":"i","type":"view","ts":1}""");
        worker.CloseInput();
        Assert.Equal(0, worker.WaitForExit());

        var lines = worker.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        var entries = lines.Where(l => !l.StartsWith("recostream:", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(entries, e => e.GetProperty("EventId").GetInt32() == 200 && e.GetProperty("State").GetProperty("Reason").GetString() == "unknown_event_type");
    }

    [Theory]
    [InlineData("replay", "RecoStream replay")]
    [InlineData("healthcheck", "RecoStream worker")]
    public void Help_OnEveryCommand_PrintsUsage(string command, string expected)
    {
        using var worker = WorkerProcess.Start([command, "--help"]);
        Assert.Equal(0, worker.WaitForExit());
        Assert.Contains(worker.RemainingOutput(), l => l.Contains(expected, StringComparison.Ordinal));
    }

    [GeneratedRegex(@"\b(recostream|process|dotnet)_[a-z_]+\b")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"^# TYPE (?<name>\S+) ", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"recostream_build_info\{version=""\d+\.\d+\.\d+"",commit=""[0-9a-f]{7,}""\} 1")]
    private static partial Regex BuildInfo();
}
