using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using RecoStream.EventGen;

namespace RecoStream.Worker.Tests;

/// <summary>
/// Crashes with kill -9, as a power cut or the OOM killer would: a replay resumed after any number of them ends with the
/// same model as one uninterrupted run, and events a TCP producer saw acknowledged by <c>flush</c> survive.
/// </summary>
public sealed partial class WorkerDurabilityTests : IDisposable
{
    private static readonly string[] Learners = ["implicit", "mf", "ftrl", "linear"];
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "recostream-durability-tests", Guid.NewGuid().ToString("N"));
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public WorkerDurabilityTests(Xunit.Abstractions.ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(_folder);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Store(string name) => Path.Combine(_folder, name);

    private static string[] ReplayArgs(string file, string store) =>
    [
        "replay", file, $"--RecoStream:Storage:Path={store}", "--RecoStream:Storage:CheckpointEveryEvents=5000",
        "--RecoStream:Storage:CheckpointEverySeconds=0", "--RecoStream:Evaluation:RankingEvery=0",
    ];

    /// <param name="hotSet">
    /// The crashed runs keep only 200 user and item rows of each factorization learner in memory (the rest in the store,
    /// evicted and read back), while the uninterrupted run keeps every row in memory.
    /// </param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Replay_KilledAtRandomMomentsAndRestarted_EndsIdenticalToOneUninterruptedRun(bool hotSet)
    {
        string[] crashedArgs(string file) => hotSet
            ? [.. ReplayArgs(file, Store("crashed")), "--RecoStream:Learners:mf:Rows:HotRows=200", "--RecoStream:Learners:implicit:Rows:HotRows=200"]
            : ReplayArgs(file, Store("crashed"));
        var file = Path.Combine(_folder, "events.jsonl");
        File.WriteAllLines(file, new SyntheticEventGenerator(new SyntheticEventOptions { Events = 200_000, Users = 2000, Items = 800, BadFraction = 0.01, Seed = 5 })
            .LabelledLines().Select(l => l.Line));

        using (var uninterrupted = WorkerProcess.Start(ReplayArgs(file, Store("once"))))
        {
            uninterrupted.CloseInput();
            Assert.Equal(0, uninterrupted.WaitForExit());
        }

        var rng = new Random(3);
        var kills = 0;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var replay = WorkerProcess.Start(crashedArgs(file));
            replay.CloseInput();
            // Within 10 ms of this run's first periodic checkpoint, so each run both commits and loses some work whatever
            // the machine's speed (on a fast spell a run replays the rest of the file within 150-300 ms of its first
            // checkpoint, and may write no other while it does: one falls due while the last is still being written).
            var started = System.Diagnostics.Stopwatch.StartNew();
            while (replay.Running && !replay.Stderr.Contains("Checkpoint (every", StringComparison.Ordinal) && started.Elapsed < TimeSpan.FromSeconds(60))
            {
                Thread.Sleep(1);
            }

            Thread.Sleep(rng.Next(0, 10));
            if (replay.Running)
            {
                replay.KillHard();
                kills++;
            }
        }

        JsonElement last;
        using (var resumed = WorkerProcess.Start(crashedArgs(file)))
        {
            resumed.CloseInput();
            Assert.Equal(0, resumed.WaitForExit());
            last = JsonDocument.Parse(resumed.RemainingOutput().Single()).RootElement;
        }

        _output.WriteLine($"{kills} kills; the last run resumed after line {last.GetProperty("resumed_after_line").GetInt64()}");
        Assert.True(kills >= 2, $"only {kills} of the runs were still going when killed");
        Assert.True(last.GetProperty("resumed_after_line").GetInt64() > 0);

        foreach (var learner in Learners)
        {
            var (onceEvents, once) = Predictions(Store("once"), learner);
            var (crashedEvents, crashed) = Predictions(Store("crashed"), learner);
            Assert.Equal(onceEvents, crashedEvents);
            for (var i = 0; i < once.Count; i++)
            {
                Assert.True(Math.Abs(once[i] - crashed[i]) <= 1e-6, $"{learner}, pair {i}: {once[i]} uninterrupted vs {crashed[i]} after crashes");
            }
        }
    }

    /// <summary>The store's applied-event count and the learner's scores for a fixed set of user-item pairs.</summary>
    private static (long Events, List<double> Scores) Predictions(string store, string learner)
    {
        using var worker = WorkerProcess.Start([$"--RecoStream:Storage:Path={store}", "--RecoStream:Metrics:Port=0", $"--RecoStream:Serving:Learner={learner}"]);
        var scores = new List<double>();
        for (var n = 0; n < 20; n++)
        {
            worker.Send($$"""{"op":"predict","user":"u{{n * 37 % 2000}}","item":"i{{n * 53 % 800}}"}""");
            scores.Add(JsonDocument.Parse(worker.ReadLine()).RootElement.GetProperty("score").GetDouble());
        }

        worker.CloseInput();
        Assert.Equal(0, worker.WaitForExit());
        var restored = RestoredEvents().Match(worker.Stderr);
        Assert.True(restored.Success, worker.Stderr);
        return (long.Parse(restored.Groups[1].Value, CultureInfo.InvariantCulture), scores);
    }

    [Fact]
    public async Task Tcp_FlushAcknowledgedEvents_SurviveKillNine()
    {
        var store = Store("tcp");
        var port = WorkerProcess.FreePort();
        string[] args = [$"--RecoStream:Storage:Path={store}", "--RecoStream:Metrics:Port=0", $"--RecoStream:Ingest:Tcp:Port={port}",
            "--RecoStream:Storage:CheckpointEveryEvents=1000000", "--RecoStream:Storage:CheckpointEverySeconds=0"];
        var lines = new SyntheticEventGenerator(new SyntheticEventOptions { Events = 6000, Users = 300, Items = 200, Seed = 9 }).LabelledLines().Select(l => l.Line).ToList();
        long acknowledged = 0;
        using (var worker = WorkerProcess.Start(args))
        {
            using var first = await LineClient.ConnectAsync(port);
            using var second = await LineClient.ConnectAsync(port);
            await first.SendAsync(lines.Take(2000));
            await second.SendAsync(lines.Skip(2000).Take(2000));
            foreach (var client in new[] { first, second })
            {
                var answer = JsonDocument.Parse(await client.AskAsync("""{"op":"flush"}""")).RootElement;
                acknowledged += answer.GetProperty("accepted").GetInt64();
            }

            // Sent after the last flush and never acknowledged: these may be lost.
            await first.SendAsync(lines.Skip(4000));
            await first.FlushAsync();
            worker.KillHard();
        }

        Assert.Equal(4000, acknowledged);
        using var restarted = WorkerProcess.Start([.. args[..2], "--RecoStream:Ingest:Tcp:Port=0"]);
        restarted.CloseInput();
        Assert.Equal(0, restarted.WaitForExit());
        var restored = RestoredEvents().Match(restarted.Stderr);
        Assert.True(restored.Success, restarted.Stderr);
        Assert.InRange(long.Parse(restored.Groups[1].Value, CultureInfo.InvariantCulture), acknowledged, lines.Count);
    }

    [Fact]
    public async Task Snapshot_WhileTheWorkerRuns_CopyStartsWithTheSameModel()
    {
        var port = WorkerProcess.FreePort();
        var snapshots = Path.Combine(_folder, "snapshots");
        string[] args = [$"--RecoStream:Storage:Path={Store("live")}", "--RecoStream:Metrics:Port=0", $"--RecoStream:Ingest:Tcp:Port={port}",
            $"--RecoStream:Storage:SnapshotPath={snapshots}", "--RecoStream:Serving:Learner=mf"];
        const string Predict = """{"op":"predict","user":"u7","item":"i3"}""";
        string before;
        using (var worker = WorkerProcess.Start(args))
        {
            using var client = await LineClient.ConnectAsync(port);
            await client.SendAsync(new SyntheticEventGenerator(new SyntheticEventOptions { Events = 3000, Users = 100, Items = 50, Seed = 4 }).LabelledLines().Select(l => l.Line));
            before = await client.AskAsync(Predict);

            // The command a cron job or an operator runs, while the worker keeps going.
            using var command = WorkerProcess.Start(["snapshot", "nightly", $"--RecoStream:Ingest:Tcp:Port={port}"]);
            command.CloseInput();
            Assert.Equal(0, command.WaitForExit());
            var answer = JsonDocument.Parse(command.RemainingOutput().Single()).RootElement;
            Assert.Equal(Path.Combine(snapshots, "nightly"), answer.GetProperty("snapshot").GetString());
            Assert.Equal(3000, answer.GetProperty("events").GetInt64());

            await client.SendAsync("""{"user":"u7","item":"i3","type":"rating","value":1,"ts":1700010000000}""");
            Assert.NotEqual(before, await client.AskAsync(Predict));
            Assert.Contains("already exists", await client.AskAsync("""{"op":"snapshot","name":"nightly"}"""), StringComparison.Ordinal);
            Assert.Contains("needs a 'name'", await client.AskAsync("""{"op":"snapshot","name":"../escape"}"""), StringComparison.Ordinal);
            worker.Terminate();
            Assert.Equal(0, worker.WaitForExit());
        }

        // A backup is restored by copying it somewhere and starting a worker on the copy.
        var copy = Store("restored");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(Path.Combine(snapshots, "nightly")))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        using var restored = WorkerProcess.Start([$"--RecoStream:Storage:Path={copy}", "--RecoStream:Metrics:Port=0", "--RecoStream:Serving:Learner=mf"]);
        restored.Send(Predict);
        Assert.Equal(before, restored.ReadLine());
        restored.CloseInput();
        Assert.Equal(0, restored.WaitForExit());
    }

    /// <summary>
    /// A real full disk: the store lives on a small tmpfs (mounting one needs root, as the CI machine runs tests). When a
    /// checkpoint cannot be written, flush stops answering, /readyz turns unhealthy with the reason, and after kill -9
    /// every acknowledged event is in the store (copied to a roomy disk, as an operator would after freeing space).
    /// </summary>
    [Fact]
    public async Task DiskFull_CheckpointFails_StopsAcknowledgingTurnsUnreadyAndLosesNothingAcknowledged()
    {
        var mountPoint = Path.Combine(_folder, "small-disk");
        Directory.CreateDirectory(mountPoint);
        var (mounted, mountError) = Run("mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", mountPoint);
        Assert.True(mounted, $"this test mounts a 40 MB tmpfs to fill it and needs root: {mountError}");
        try
        {
            var store = Path.Combine(mountPoint, "store");
            var port = WorkerProcess.FreePort();
            var http = WorkerProcess.FreePort();
            string[] args = [$"--RecoStream:Storage:Path={store}", $"--RecoStream:Metrics:Port={http}", $"--RecoStream:Ingest:Tcp:Port={port}",
                "--RecoStream:Storage:CheckpointEveryEvents=1000000", "--RecoStream:Storage:CheckpointEverySeconds=0"];
            var lines = new SyntheticEventGenerator(new SyntheticEventOptions { Events = 400_000, Users = 20_000, Items = 2000, Seed = 12 })
                .LabelledLines().Select(l => l.Line).ToList();
            long acknowledged = 0;
            var batches = 0;
            using (var worker = WorkerProcess.Start(args))
            {
                using var client = await LineClient.ConnectAsync(port);
                string? answer;
                do
                {
                    await client.SendAsync(lines.Skip(batches++ * 20_000).Take(20_000));
                    await client.SendAsync("""{"op":"flush"}""");
                    await client.FlushAsync();
                    answer = await client.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null);
                    if (answer is not null)
                    {
                        acknowledged = JsonDocument.Parse(answer).RootElement.GetProperty("accepted").GetInt64();
                    }
                }
                while (answer is not null && batches < 20);

                Assert.True(answer is null, $"the 40 MB disk never filled: {batches} flushes answered");
                using var httpClient = new HttpClient();
                using var ready = await httpClient.GetAsync(new Uri($"http://127.0.0.1:{http}/readyz"));
                Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
                Assert.Contains("\"storage\":", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                worker.KillHard();
                _output.WriteLine($"{acknowledged} events acknowledged in {batches - 1} flushes before the disk filled; {worker.Stderr.Split('\n').FirstOrDefault(l => l.Contains("failed", StringComparison.Ordinal))}");
            }

            Assert.True(acknowledged > 0);
            var roomy = Store("roomy");
            Assert.True(Run("cp", "-a", store, roomy).Ok);
            using var restarted = WorkerProcess.Start([$"--RecoStream:Storage:Path={roomy}", "--RecoStream:Metrics:Port=0"]);
            restarted.CloseInput();
            Assert.Equal(0, restarted.WaitForExit());
            var restored = RestoredEvents().Match(restarted.Stderr);
            Assert.True(restored.Success, restarted.Stderr);
            Assert.InRange(long.Parse(restored.Groups[1].Value, CultureInfo.InvariantCulture), acknowledged, lines.Count);
        }
        finally
        {
            Run("umount", "-l", mountPoint);
        }
    }

    private static (bool Ok, string Error) Run(string program, params string[] arguments)
    {
        var info = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode == 0, error);
    }

    [GeneratedRegex(@"restored checkpoint \d+ from '[^']*': (\d+) events applied")]
    private static partial Regex RestoredEvents();
}
