using Prometheus;
using RecoStream.Core.Events;

namespace RecoStream.Worker.Sources;

/// <summary>
/// The worker's side of <see cref="ILineOrigin"/>: where answers go and what has been counted for one
/// origin. Every member but the constructor is called on the pipeline thread only.
/// </summary>
internal abstract class LineOrigin : ILineOrigin
{
    protected LineOrigin(string source, Counter.Child received)
    {
        Source = source;
        Received = received;
    }

    /// <inheritdoc />
    public string Source { get; }

    /// <summary><c>recostream_events_received_total{source=...}</c>, resolved once per origin.</summary>
    public Counter.Child Received { get; }

    /// <summary>Events from this origin applied to the model.</summary>
    public long Accepted { get; set; }

    /// <summary>Lines from this origin rejected.</summary>
    public long Rejected { get; set; }

    /// <summary>A flush of this origin waits for a checkpoint: its other answers come after that one.</summary>
    public bool FlushWaiting { get; set; }

    /// <summary>Sends one answer line (JSON without the newline) back to the origin.</summary>
    public abstract void Reply(ReadOnlySpan<byte> json, bool isError);

    /// <summary>Called once for every line of this origin after the pipeline is done with it (after any reply).</summary>
    public virtual void LineDone()
    {
    }
}
