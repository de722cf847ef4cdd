using RecoStream.Worker.Metrics;

namespace RecoStream.Worker.Sources;

/// <summary>A replayed file: request lines in it are counted but not answered (stdout carries only the summary line).</summary>
internal sealed class ReplayOrigin : LineOrigin
{
    public ReplayOrigin(WorkerMetrics metrics)
        : base(ReplaySource.SourceName, metrics.Received(ReplaySource.SourceName))
    {
    }

    public override void Reply(ReadOnlySpan<byte> json, bool isError)
    {
    }
}
