using RecoStream.Core.Events;

namespace RecoStream.Core.Processing;

/// <summary>
/// The state of the open tumbling window: which event-time span it covers and how many events arrived while it was
/// open. A window holds the events that arrived while it was open, so stragglers within the allowed lateness still join
/// the window they belong to (it closes only when the watermark passes its end); an event that closes a window by event
/// time opens the next one. Part of the checkpoint.
/// </summary>
public sealed class WindowTracker
{
    private readonly WindowOptions _options;
    private readonly EventClock _clock;
    private readonly long _lengthMs;

    public WindowTracker(WindowOptions options, EventClock clock)
    {
        _options = options;
        _clock = clock;
        _lengthMs = options.EventSeconds * 1000L;
    }

    /// <summary>The processing-time quiet timeout (zero or negative: none).</summary>
    public TimeSpan QuietAfter => TimeSpan.FromSeconds(_options.QuietSeconds);

    /// <summary>True while a window holds events.</summary>
    public bool IsOpen => Events > 0;

    /// <summary>Events in the open window.</summary>
    public long Events { get; private set; }

    /// <summary>Windows closed over the store's lifetime.</summary>
    public long Closed { get; private set; }

    /// <summary>Start of the open window's event-time span.</summary>
    public long StartMs { get; private set; }

    /// <summary>End of the open window's event-time span (exclusive).</summary>
    public long EndMs { get; private set; } = long.MaxValue;

    private long FirstMs { get; set; } = long.MaxValue;

    private long LastMs { get; set; } = long.MinValue;

    /// <summary>Called before an accepted event joins: closes the open window when the watermark has passed its end.</summary>
    public WindowSummary? BeforeEvent() =>
        IsOpen && _clock.WatermarkMs >= EndMs ? Close(WindowTrigger.EventTime) : null;

    /// <summary>Adds an accepted event to the open window (opening one if none is); closes it when it is full.</summary>
    public WindowSummary? Add(long timestampMs)
    {
        if (!IsOpen)
        {
            if (_lengthMs > 0)
            {
                StartMs = Math.DivRem(timestampMs, _lengthMs, out _) * _lengthMs;
                EndMs = StartMs + _lengthMs;
            }
            else
            {
                StartMs = timestampMs;
                EndMs = long.MaxValue;
            }
        }

        Events++;
        FirstMs = Math.Min(FirstMs, timestampMs);
        LastMs = Math.Max(LastMs, timestampMs);
        return Events >= _options.Events ? Close(WindowTrigger.Count) : null;
    }

    /// <summary>Closes the open window; null when none is open.</summary>
    public WindowSummary? Close(WindowTrigger trigger)
    {
        if (!IsOpen)
        {
            return null;
        }

        Closed++;
        var summary = new WindowSummary(Closed, trigger, StartMs, EndMs, Events, FirstMs, LastMs);
        Events = 0;
        FirstMs = long.MaxValue;
        LastMs = long.MinValue;
        EndMs = long.MaxValue;
        return summary;
    }

    /// <summary>The open window, for a checkpoint.</summary>
    public WindowTrackerSnapshot Snapshot() => new(Closed, Events, StartMs, EndMs, FirstMs, LastMs);

    /// <summary>Restores the open window from a checkpoint.</summary>
    public void Restore(WindowTrackerSnapshot snapshot)
    {
        Closed = snapshot.Closed;
        Events = snapshot.Events;
        StartMs = snapshot.StartMs;
        EndMs = snapshot.EndMs;
        FirstMs = snapshot.FirstMs;
        LastMs = snapshot.LastMs;
    }
}

/// <summary>The window stage's checkpointed state.</summary>
public sealed record WindowTrackerSnapshot(long Closed, long Events, long StartMs, long EndMs, long FirstMs, long LastMs);
