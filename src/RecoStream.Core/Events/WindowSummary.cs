namespace RecoStream.Core.Events;

/// <summary>Why a window closed.</summary>
public enum WindowTrigger
{
    /// <summary>It held the configured number of events.</summary>
    Count,

    /// <summary>The watermark passed its end.</summary>
    EventTime,

    /// <summary>No event arrived for the quiet timeout (processing time).</summary>
    Quiet,

    /// <summary>The input ended (or the worker is shutting down).</summary>
    End,
}

/// <summary>A closed tumbling window.</summary>
/// <param name="Sequence">1-based number of the window over the store's lifetime.</param>
/// <param name="Trigger">Why it closed.</param>
/// <param name="StartMs">Start of its event-time span (Unix ms): aligned to the window length, or its first event's time when windows are by count only.</param>
/// <param name="EndMs">End of its event-time span (exclusive); <see cref="long.MaxValue"/> when windows are by count only.</param>
/// <param name="Events">Events that arrived while it was open.</param>
/// <param name="FirstEventMs">Smallest event time among them.</param>
/// <param name="LastEventMs">Largest event time among them.</param>
public sealed record WindowSummary(long Sequence, WindowTrigger Trigger, long StartMs, long EndMs, long Events, long FirstEventMs, long LastEventMs);
