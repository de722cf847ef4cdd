namespace RecoStream.Core.Processing;

/// <summary>
/// The tumbling windows of the windowed-batch route (configuration section <c>RecoStream:Windows</c>): a window closes
/// after <see cref="Events"/> events or when the watermark passes the end of its <see cref="EventSeconds"/> of event
/// time, whichever comes first; also after <see cref="QuietSeconds"/> without events, and at the end of input.
/// </summary>
public sealed class WindowOptions
{
    /// <summary>Most events in one window. Default 10,000.</summary>
    public int Events { get; set; } = 10_000;

    /// <summary>Length of a window in event time (seconds, aligned to the epoch); 0 closes by count only. Default 3600.</summary>
    public int EventSeconds { get; set; } = 3600;

    /// <summary>Close the open window after this many seconds of processing time without an event; 0 never. Default 10.</summary>
    public double QuietSeconds { get; set; } = 10;
}
