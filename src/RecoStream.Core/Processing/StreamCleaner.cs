using System.Globalization;
using RecoStream.Core.Events;

namespace RecoStream.Core.Processing;

/// <summary>
/// The cleaning stage, after validation: rejects events too far in the future (against the injected clock), ratings
/// outside the scale (or clamps them), late events (behind the watermark, when the policy drops them), duplicates of
/// applied events and events of quarantined users; each rejection carries its reason. Accepted events move the event
/// clock. Reads no wall clock of its own: the time comes from the <see cref="TimeProvider"/> it is given.
/// </summary>
public sealed class StreamCleaner
{
    private readonly CleaningOptions _options;
    private readonly EventClock _clock;
    private readonly TimeProvider _time;
    private readonly long _maxFutureMs;
    private long _nowMs = long.MinValue / 2;

    public StreamCleaner(CleaningOptions options, EventClock clock, TimeProvider time)
    {
        _options = options;
        _clock = clock;
        _time = time;
        _maxFutureMs = options.MaxFutureSeconds * 1000L;
        Deduplication = new DeduplicationFilter(Math.Max(1, options.DeduplicateWindowSeconds) * 1000L, Math.Max(1, options.DeduplicateMaxKeys));
        Quarantine = new RateQuarantine(options.QuarantineEventsPerSecond, options.QuarantineSeconds * 1000L);
    }

    /// <summary>The duplicate detector (its state is checkpointed).</summary>
    public DeduplicationFilter Deduplication { get; }

    /// <summary>The per-user rate limiter (its state is checkpointed).</summary>
    public RateQuarantine Quarantine { get; }

    /// <summary>The clock the stage moves.</summary>
    public EventClock Clock => _clock;

    /// <summary>Late events admitted under <see cref="LatePolicy.Admit"/> (this process).</summary>
    public long LateAdmitted { get; private set; }

    /// <summary>Ratings clamped into the scale under <see cref="OutOfRangePolicy.Clamp"/> (this process).</summary>
    public long Clamped { get; private set; }

    /// <summary>Cleans an event; passes other items through.</summary>
    public StreamItem Clean(StreamItem item)
    {
        if (item.Kind != StreamItemKind.Event)
        {
            return item;
        }

        var e = item.Event!;
        var ts = e.TimestampMs;
        if (_maxFutureMs > 0 && ts > _nowMs + _maxFutureMs)
        {
            // The clock is read again only when an event looks too far ahead of the last reading (time only moves on,
            // so a stale reading can only make an event look later than it is, never let a future one through).
            _nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var now = _nowMs;
            if (ts > now + _maxFutureMs)
            {
                return item.Reject(RejectReason.FutureTimestamp, string.Create(CultureInfo.InvariantCulture,
                    $"event time {ts} is {(ts - now) / 1000} s ahead of the worker's clock (at most {_options.MaxFutureSeconds} s allowed)"));
            }
        }

        if (e.Type == EventType.Rating && e.Value is { } rating && (rating < _options.MinRating || rating > _options.MaxRating))
        {
            if (_options.OutOfRange == OutOfRangePolicy.Reject)
            {
                return item.Reject(RejectReason.OutOfRange, string.Create(CultureInfo.InvariantCulture,
                    $"rating {rating} is outside the scale [{_options.MinRating}, {_options.MaxRating}]"));
            }

            e.Value = Math.Clamp(rating, _options.MinRating, _options.MaxRating);
            Clamped++;
        }

        var watermark = _clock.WatermarkMs;
        if (ts < watermark)
        {
            if (_options.Late == LatePolicy.Drop)
            {
                return item.Reject(RejectReason.LateEvent, string.Create(CultureInfo.InvariantCulture,
                    $"event time {ts} is {(_clock.NewestMs - ts) / 1000} s behind the newest event time {_clock.NewestMs} (at most {_options.AllowedLatenessSeconds} s allowed)"));
            }

            LateAdmitted++;
        }

        // The parser sets the keys of the ids it keeps (computed once per id); the others are computed here.
        if (e.UserKey == 0)
        {
            e.UserKey = KeyHash.Of('u', e.User);
        }

        if (e.ItemKey == 0)
        {
            e.ItemKey = KeyHash.Of('i', e.Item);
        }

        if (_options.Deduplicate)
        {
            var key = KeyHash.Combine(KeyHash.Combine(e.UserKey, e.ItemKey), ((ulong)e.Type << 56) ^ (ulong)ts);
            // Windows behind the watermark this event would bring can be forgotten now.
            if (Deduplication.IsDuplicate(key, ts, Math.Max(watermark, ts - _clock.AllowedLatenessMs)))
            {
                return item.Reject(RejectReason.Duplicate, string.Create(CultureInfo.InvariantCulture,
                    $"an event with the same user, item, type and ts {ts} was already applied"));
            }
        }

        var until = Quarantine.Check(e.UserKey, e.User, ts, watermark);
        if (until != 0)
        {
            return item.Reject(RejectReason.Quarantined, string.Create(CultureInfo.InvariantCulture,
                $"user sent more than {_options.QuarantineEventsPerSecond} events in one second of event time; quarantined until event time {until}"));
        }

        _clock.Observe(ts);
        return item;
    }
}
