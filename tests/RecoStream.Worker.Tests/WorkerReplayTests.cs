using System.Globalization;
using System.Text.Json;
using RecoStream.EventGen;

namespace RecoStream.Worker.Tests;

public sealed class WorkerReplayTests : IDisposable
{
    private readonly TestStore _store = new();
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "recostream-replay-tests", Guid.NewGuid().ToString("N"));

    public WorkerReplayTests()
    {
        Directory.CreateDirectory(_folder);
    }

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>MovieLens-like ratings (user, item, rating 1-5, Unix seconds), made up here rather than taken from the data set.</summary>
    private static List<(int User, int Item, int Rating, long Seconds)> Ratings(int count)
    {
        var rng = new Random(17);
        return [.. Enumerable.Range(0, count).Select(n => (rng.Next(1, 200), rng.Next(1, 500), rng.Next(1, 6), 880_000_000L + n * 7))];
    }

    private string Write(string name, IEnumerable<string> lines)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private (JsonElement Summary, string Stderr) Replay(string file, params string[] extra)
    {
        using var worker = WorkerProcess.Start(["replay", file, $"--RecoStream:Storage:Path={_store.Path}", .. extra]);
        worker.CloseInput();
        Assert.Equal(0, worker.WaitForExit());
        var output = worker.RemainingOutput();
        Assert.Single(output);
        return (JsonDocument.Parse(output[0]).RootElement, worker.Stderr);
    }

    [Theory]
    [InlineData("u.data", "\t", false)]
    [InlineData("ratings.dat", "::", false)]
    [InlineData("ratings.csv", ",", true)]
    public void Replay_MovieLensLayout_DetectedAndCounted(string name, string separator, bool header)
    {
        var ratings = Ratings(5000);
        var lines = ratings.Select(r => string.Join(separator, r.User, r.Item,
            header ? r.Rating.ToString("0.0", CultureInfo.InvariantCulture) : r.Rating.ToString(CultureInfo.InvariantCulture), r.Seconds)).ToList();
        lines.Insert(2500, "this is not a rating");
        if (header)
        {
            lines.Insert(0, "userId,movieId,rating,timestamp");
        }

        var (summary, _) = Replay(Write(name, lines));

        Assert.Equal(5000, summary.GetProperty("events").GetInt64());
        Assert.Equal(1, summary.GetProperty("rejected").GetInt64());
        Assert.Equal("movielens", summary.GetProperty("format").GetString());
        Assert.Equal("implicit", summary.GetProperty("learner").GetString());
        Assert.Equal("incremental", summary.GetProperty("mode").GetString());
        Assert.Equal(JsonValueKind.Null, summary.GetProperty("rmse").ValueKind);
        Assert.InRange(summary.GetProperty("recall_at_10").GetDouble(), 0.0, 1.0);
        var mf = summary.GetProperty("learners").GetProperty("mf");
        Assert.Equal(5000, mf.GetProperty("learned").GetInt64());
        Assert.InRange(mf.GetProperty("rmse").GetDouble(), 0.5, 3.0);
        Assert.InRange(mf.GetProperty("mae").GetDouble(), 0.3, mf.GetProperty("rmse").GetDouble());
        Assert.True(summary.GetProperty("events_per_sec").GetDouble() > 0);
        Assert.True(summary.GetProperty("seconds").GetDouble() > 0);
        Assert.True(summary.GetProperty("allocated_mib").GetDouble() > 0);
        Assert.True(summary.GetProperty("gc_collections").GetInt32() >= 0);
        Assert.True(summary.GetProperty("gc_pause_ms").GetDouble() >= 0);
        Assert.Equal(1, summary.GetProperty("checkpoints").GetInt32()); // 5,000 events: only the final one
        // The model is still held when the live heap is measured: 5,000 ratings make rows for all four learners.
        Assert.InRange(summary.GetProperty("live_heap_mib").GetDouble(), 1.0, summary.GetProperty("peak_rss_mib").GetDouble());
    }

    [Fact]
    public void Replay_Jsonl_CountsAndLeavesAStoreTheWorkerStartsFrom()
    {
        var generated = new SyntheticEventGenerator(new SyntheticEventOptions { Events = 20_000, BadFraction = 0.01, Seed = 5 }).LabelledLines().ToList();
        var file = Write("events.jsonl", generated.Select(l => l.Line));
        var valid = generated.Count(l => l.Valid);

        var (summary, _) = Replay(file, "--format", "jsonl", "--RecoStream:Storage:CheckpointEveryEvents=2000");

        Assert.Equal(valid, summary.GetProperty("events").GetInt64());
        Assert.Equal(generated.Count - valid, summary.GetProperty("rejected").GetInt64());
        Assert.Equal("jsonl", summary.GetProperty("format").GetString());
        // One every 2,000 events at most (one falling due while another is written waits for it), and the final one.
        Assert.InRange(summary.GetProperty("checkpoints").GetInt32(), 2, (valid / 2000) + 1);

        using var worker = WorkerProcess.Start([$"--RecoStream:Storage:Path={_store.Path}", "--RecoStream:Metrics:Port=0"]);
        worker.Send("""{"op":"recommend","user":"u3","k":2}""");
        worker.CloseInput();
        Assert.Equal(0, worker.WaitForExit());
        Assert.Contains($"{valid} events applied", worker.Stderr, StringComparison.Ordinal);
        Assert.Equal("model", JsonDocument.Parse(worker.RemainingOutput().Single()).RootElement.GetProperty("source").GetString());
    }

    [Fact]
    public void Replay_SameFileAgain_ResumesAfterItsEnd_AndFromStartLearnsItAgain()
    {
        var file = Write("u.data", Ratings(3000).Select(r => $"{r.User}\t{r.Item}\t{r.Rating}\t{r.Seconds}"));

        var (first, _) = Replay(file, "--learner", "mf");
        var (again, againStderr) = Replay(file, "--learner", "mf");
        var (fromStart, stderr) = Replay(file, "--learner", "mf", "--from-start");

        Assert.Equal(3000, first.GetProperty("events").GetInt64());
        Assert.Equal(0, first.GetProperty("resumed_after_line").GetInt64());
        // Every line was applied already: the same command applies none of them twice.
        Assert.Equal(0, again.GetProperty("events").GetInt64());
        Assert.Equal(3000, again.GetProperty("resumed_after_line").GetInt64());
        Assert.Contains("up to line 3000; resuming after it", againStderr, StringComparison.Ordinal);
        // --from-start reads the file again, continuing from the stored model: its prequential error is lower this time.
        // The last events are still within the deduplication window the store remembers, so they are rejected as
        // duplicates (Cleaning:Deduplicate=false trains on all of them again).
        Assert.Contains("3000 events applied", stderr, StringComparison.Ordinal);
        Assert.Equal(3000, fromStart.GetProperty("events").GetInt64() + fromStart.GetProperty("rejected").GetInt64());
        Assert.InRange(fromStart.GetProperty("rejected").GetInt64(), 1, 100);
        Assert.True(fromStart.GetProperty("rmse").GetDouble() < first.GetProperty("rmse").GetDouble());
        var (noDedup, _) = Replay(file, "--learner", "mf", "--from-start", "--RecoStream:Cleaning:Deduplicate=false");
        Assert.Equal(3000, noDedup.GetProperty("events").GetInt64());
    }

    [Theory]
    [InlineData("--format", "xml", "--format 'xml'")]
    [InlineData("--bogus", null, "unexpected argument")]
    public void Replay_BadArguments_ExitTwo(string flag, string? value, string message)
    {
        var file = Write("u.data", ["1\t2\t3\t4"]);
        using var worker = WorkerProcess.Start(value is null ? ["replay", file, flag] : ["replay", file, flag, value]);
        Assert.Equal(2, worker.WaitForExit());
        Assert.Contains(message, worker.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_Learner_EvaluatesOnlyThatLearner()
    {
        var file = Write("u.data", Ratings(2000).Select(r => $"{r.User}\t{r.Item}\t{r.Rating}\t{r.Seconds}"));

        var (summary, _) = Replay(file, "--learner", "linear");

        Assert.Equal("linear", summary.GetProperty("learner").GetString());
        Assert.Equal(["linear"], summary.GetProperty("learners").EnumerateObject().Select(p => p.Name));
        Assert.True(summary.GetProperty("rmse").GetDouble() > 0);
    }

    [Fact]
    public void Replay_UnknownLearnerOrMode_ExitTwo()
    {
        var file = Write("u.data", ["1\t2\t3\t4"]);
        using (var unknown = WorkerProcess.Start(["replay", file, "--learner", "nope"]))
        {
            Assert.Equal(2, unknown.WaitForExit());
            Assert.Contains("'nope' is not configured", unknown.Stderr, StringComparison.Ordinal);
        }

        using var mode = WorkerProcess.Start(["replay", file, "--mode", "sideways"]);
        Assert.Equal(2, mode.WaitForExit());
        Assert.Contains("--mode 'sideways'", mode.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_WindowedBatchMode_LearnsPerWindowAndLeavesAStoreTheIncrementalWorkerUses()
    {
        var file = Write("u.data", Ratings(5500).Select(r => $"{r.User}\t{r.Item}\t{r.Rating}\t{r.Seconds}"));

        var (summary, _) = Replay(file, "--learner", "mf", "--mode", "windowed-batch",
            "--RecoStream:Windows:Events=1000", "--RecoStream:Windows:EventSeconds=0");

        Assert.Equal("windowed-batch", summary.GetProperty("mode").GetString());
        Assert.Equal("windowed-batch", summary.GetProperty("learners").GetProperty("mf").GetProperty("mode").GetString());
        Assert.Equal(5500, summary.GetProperty("learners").GetProperty("mf").GetProperty("learned").GetInt64());
        Assert.True(summary.GetProperty("rmse").GetDouble() > 0);

        // The incremental worker starts from the same store: the learner's state carries over between modes.
        using var worker = WorkerProcess.Start([$"--RecoStream:Storage:Path={_store.Path}", "--RecoStream:Metrics:Port=0",
            "--RecoStream:Serving:Learner=mf"]);
        worker.Send("{\"op\":\"predict\",\"user\":\"5\",\"item\":\"7\"}");
        worker.CloseInput();
        Assert.Equal(0, worker.WaitForExit());
        Assert.Contains("\"score\"", worker.RemainingOutput().Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_MissingFile_ExitsTwoNamingIt()
    {
        using var worker = WorkerProcess.Start(["replay", Path.Combine(_folder, "nope.jsonl")]);
        Assert.Equal(2, worker.WaitForExit());
        Assert.Contains("nope.jsonl", worker.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_JsonlForcedAsMovieLens_IsRefused()
    {
        var file = Write("events.jsonl", ["""{"user":"u","item":"i","type":"view","ts":1}"""]);
        using var worker = WorkerProcess.Start(["replay", file, "--format", "movielens"]);
        Assert.Equal(2, worker.WaitForExit());
        Assert.Contains("does not look like MovieLens", worker.Stderr, StringComparison.Ordinal);
    }
}
