namespace RecoStream.Worker.Tests;

public sealed class WorkerConfigurationTests : IDisposable
{
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    private (int ExitCode, string Stderr) RunWith(string[] args, Dictionary<string, string>? environment = null)
    {
        using var worker = WorkerProcess.Start([$"--RecoStream:Storage:Path={_store.Path}", "--RecoStream:Metrics:Port=0", .. args], environment);
        worker.CloseInput();
        return (worker.WaitForExit(), worker.Stderr);
    }

    [Theory]
    [InlineData("--RecoStream:Metrics:Port=70000", "RecoStream:Metrics:Port", "'70000'", "0 to 65535")]
    [InlineData("--RecoStream:Learners:linear:LearningRate=-1", "RecoStream:Learners:linear:LearningRate", "'-1'", "greater than 0")]
    [InlineData("--RecoStream:Learners:mf:Kind=Magic", "RecoStream:Learners:mf:Kind", "'Magic'", "BiasedMF or ImplicitMF or Ftrl or Linear")]
    [InlineData("--RecoStream:Serving:Learner=nobody", "RecoStream:Serving:Learner", "'nobody'", "the name of a configured learner")]
    [InlineData("--RecoStream:Storage:CheckpointEveryEvents=often", "RecoStream:Storage:CheckpointEveryEvents", "'often'", "whole number")]
    [InlineData("--RecoStream:Storage:SyncWrites=maybe", "RecoStream:Storage:SyncWrites", "'maybe'", "true or false")]
    [InlineData("--RecoStream:Storage:BlockCacheMiB=-1", "RecoStream:Storage:BlockCacheMiB", "'-1'", "0 to 1048576")]
    [InlineData("--RecoStream:Metrics:Host=not-an-address", "RecoStream:Metrics:Host", "'not-an-address'", "IP address")]
    [InlineData("--RecoStream:Storage:Pth=/tmp/x", "RecoStream:Storage:Pth", "'/tmp/x'", "not a RecoStream setting")]
    [InlineData("--RecoStream:Learners:~history:Kind=Linear", "RecoStream:Learners:~history", "~history", "does not start with '~'")]
    [InlineData("--RecoStream:Learners:mf:Enabled=perhaps", "RecoStream:Learners:mf:Enabled", "'perhaps'", "true or false")]
    // The shipped configuration serves from the implicit learner: disabling it needs another serving learner.
    [InlineData("--RecoStream:Learners:implicit:Enabled=false", "RecoStream:Serving:Learner", "'implicit'", "a configured learner that is enabled (ftrl, linear, mf)")]
    public void Start_InvalidValue_ExitsTwoNamingKeyValueAndAllowed(string arg, string key, string value, string allowed)
    {
        var (exitCode, stderr) = RunWith([arg]);

        Assert.Equal(2, exitCode);
        Assert.Contains(key, stderr, StringComparison.Ordinal);
        Assert.Contains(value, stderr, StringComparison.Ordinal);
        Assert.Contains(allowed, stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_store.Path), "a worker with a bad configuration must not create a store");
    }

    private static readonly string[] ShippedLearners = ["implicit", "mf", "ftrl", "linear"];

    [Fact]
    public void Start_EveryLearnerDisabled_ExitsTwo()
    {
        var (exitCode, stderr) = RunWith([.. ShippedLearners.Select(l => $"--RecoStream:Learners:{l}:Enabled=false")]);

        Assert.Equal(2, exitCode);
        Assert.Contains("RecoStream:Learners: missing or not allowed; allowed: at least one learner with Enabled true", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_LearnersDisabled_LearnsAndServesWithTheOthersAlone()
    {
        string[] alone = ["--RecoStream:Learners:implicit:Enabled=false", "--RecoStream:Learners:ftrl:Enabled=false", "--RecoStream:Learners:linear:Enabled=false",
            "--RecoStream:Serving:Learner=mf"];
        using var worker = WorkerProcess.Start([$"--RecoStream:Storage:Path={_store.Path}", "--RecoStream:Metrics:Port=0", .. alone]);
        for (var n = 0; n < 300; n++)
        {
            worker.Send($$"""{"user":"u{{n % 20}}","item":"i{{n % 30}}","type":"rating","value":{{1 + (n * 7 % 5)}},"ts":{{1_700_000_000_000L + (n * 1000L)}}}""");
        }

        worker.Send("""{"op":"recommend","user":"u3","k":2}""");
        worker.CloseInput();

        Assert.Equal(0, worker.WaitForExit());
        var answer = System.Text.Json.JsonDocument.Parse(worker.RemainingOutput().Single()).RootElement;
        Assert.Equal("model", answer.GetProperty("source").GetString());
        // The run's summary names the serving learner and the quality of each learner that ran: biased MF alone.
        var finished = worker.Stderr.Split('\n').Single(l => l.Contains("Run finished", StringComparison.Ordinal));
        Assert.Contains("300 events applied", finished, StringComparison.Ordinal);
        Assert.Contains("serving mf; prequential since the store began: mf RMSE ", finished, StringComparison.Ordinal);
        Assert.DoesNotContain("linear", finished, StringComparison.Ordinal);
        Assert.DoesNotContain("implicit", finished, StringComparison.Ordinal);
        Assert.DoesNotContain("ftrl", finished, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_InvalidEnvironmentVariable_ExitsTwoNamingKey()
    {
        var (exitCode, stderr) = RunWith([], new() { ["RecoStream__Learners__linear__HashBits"] = "40" });

        Assert.Equal(2, exitCode);
        Assert.Contains("RecoStream:Learners:linear:HashBits: '40'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_CommandLine_OverridesEnvironment()
    {
        var (exitCode, _) = RunWith(["--RecoStream:Learners:linear:HashBits=12"], new() { ["RecoStream__Learners__linear__HashBits"] = "40" });
        Assert.Equal(0, exitCode);
    }

    [Fact]
    public void Help_PrintsUsageOnStdoutAndExitsZero()
    {
        using var worker = WorkerProcess.Start(["--help"]);
        Assert.Equal(0, worker.WaitForExit());
        Assert.Contains(worker.RemainingOutput(), l => l.Contains("RecoStream:Storage:Path", StringComparison.Ordinal));
    }
}
