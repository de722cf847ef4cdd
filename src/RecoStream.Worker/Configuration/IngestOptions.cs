namespace RecoStream.Worker.Configuration;

/// <summary>The queue between the sources and the pipeline, and the TCP source (section <c>RecoStream:Ingest</c>).</summary>
internal sealed class IngestOptions
{
    /// <summary>Lines the bounded queue holds. Default 8192.</summary>
    public int QueueCapacity { get; set; } = 8192;

    /// <summary>What a source does when the queue is full. Default <see cref="QueueFullMode.Wait"/>.</summary>
    public QueueFullMode FullMode { get; set; } = QueueFullMode.Wait;

    /// <summary>The TCP source (<c>RecoStream:Ingest:Tcp</c>).</summary>
    public TcpOptions Tcp { get; set; } = new();
}

/// <summary>What happens to a line that arrives while the ingest queue is full.</summary>
internal enum QueueFullMode
{
    /// <summary>The source waits: stdin blocks, TCP stops reading so the socket's flow control slows the producer.</summary>
    Wait,
    /// <summary>The event is dropped and counted in <c>recostream_events_dropped_total</c>; request lines still wait.</summary>
    DropNewest,
}
