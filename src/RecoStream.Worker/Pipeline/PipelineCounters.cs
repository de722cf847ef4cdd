namespace RecoStream.Worker.Pipeline;

/// <summary>This run's counts, written by the pipeline thread and read by the progress reporter.</summary>
internal sealed class PipelineCounters
{
    private long _lines;
    private long _applied;
    private long _rejected;
    private long _requests;

    public long Lines => Volatile.Read(ref _lines);

    public long Applied => Volatile.Read(ref _applied);

    public long Rejected => Volatile.Read(ref _rejected);

    public long Requests => Volatile.Read(ref _requests);

    public void AddLine() => Volatile.Write(ref _lines, _lines + 1);

    public void AddApplied() => Volatile.Write(ref _applied, _applied + 1);

    public void AddRejected() => Volatile.Write(ref _rejected, _rejected + 1);

    public void AddRequest() => Volatile.Write(ref _requests, _requests + 1);
}
