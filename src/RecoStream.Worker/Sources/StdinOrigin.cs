using RecoStream.Worker.Metrics;

namespace RecoStream.Worker.Sources;

/// <summary>Standard input: answers go to standard output, one line each, flushed at once.</summary>
internal sealed class StdinOrigin : LineOrigin
{
    private readonly Stream _stdout;

    public StdinOrigin(Stream stdout, WorkerMetrics metrics)
        : base(StdinSource.SourceName, metrics.Received(StdinSource.SourceName))
    {
        _stdout = stdout;
    }

    public override void Reply(ReadOnlySpan<byte> json, bool isError)
    {
        _stdout.Write(json);
        _stdout.WriteByte((byte)'\n');
        _stdout.Flush();
    }
}
