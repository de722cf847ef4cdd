namespace RecoStream.Core.Processing;

/// <summary>
/// Event time as the stream has shown it so far: the newest event time accepted, and the watermark behind it
/// (newest minus the allowed lateness). Shared by the cleaning, feature and window stages; it only moves forward,
/// and only with accepted events. Part of the checkpoint.
/// </summary>
public sealed class EventClock
{
    public EventClock(long allowedLatenessMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(allowedLatenessMs);
        AllowedLatenessMs = allowedLatenessMs;
    }

    /// <summary>How far behind the newest event time an event may be and still be on time.</summary>
    public long AllowedLatenessMs { get; }

    /// <summary>The newest event time accepted (Unix ms); <see cref="long.MinValue"/> before the first event.</summary>
    public long NewestMs { get; private set; } = long.MinValue;

    /// <summary>True once an event has been accepted.</summary>
    public bool Started => NewestMs != long.MinValue;

    /// <summary>Events with an event time before this are late; <see cref="long.MinValue"/> before the first event.</summary>
    public long WatermarkMs => Started ? NewestMs - AllowedLatenessMs : long.MinValue;

    /// <summary>Moves the clock to an accepted event's time (never backwards).</summary>
    public void Observe(long timestampMs)
    {
        if (timestampMs > NewestMs)
        {
            NewestMs = timestampMs;
        }
    }

    /// <summary>Restores the newest event time from a checkpoint.</summary>
    public void Restore(long newestMs) => NewestMs = newestMs;
}
