using RecoStream.Core.Events;

namespace RecoStream.Core.Processing;

/// <summary>What an out-of-range rating does.</summary>
public enum OutOfRangePolicy
{
    /// <summary>Reject the event (counted as <c>out_of_range</c>).</summary>
    Reject,

    /// <summary>Clamp the rating into the scale and accept the event (counted as clamped).</summary>
    Clamp,
}

/// <summary>What an event behind the watermark does.</summary>
public enum LatePolicy
{
    /// <summary>Accept it (counted as admitted late): a late rating still teaches the model something.</summary>
    Admit,

    /// <summary>Reject it (counted as <c>late_event</c>).</summary>
    Drop,
}

/// <summary>The cleaning rules (configuration section <c>RecoStream:Cleaning</c>); each can be switched off.</summary>
public sealed class CleaningOptions
{
    /// <summary>How far behind the newest event time an event may be before it is late (seconds). Default 300.</summary>
    public int AllowedLatenessSeconds { get; set; } = 300;

    /// <summary>What a late event does. Default <see cref="LatePolicy.Admit"/>.</summary>
    public LatePolicy Late { get; set; } = LatePolicy.Admit;

    /// <summary>Events whose time is more than this ahead of the worker's clock are rejected (seconds); 0 off. Default 3600.</summary>
    public int MaxFutureSeconds { get; set; } = 3600;

    /// <summary>Lowest valid rating. Default 0.5.</summary>
    public double MinRating { get; set; } = 0.5;

    /// <summary>Highest valid rating. Default 5.</summary>
    public double MaxRating { get; set; } = 5.0;

    /// <summary>What a rating outside [MinRating, MaxRating] does. Default <see cref="OutOfRangePolicy.Reject"/>.</summary>
    public OutOfRangePolicy OutOfRange { get; set; } = OutOfRangePolicy.Reject;

    /// <summary>Apply an event with the same (user, item, type, ts) as an earlier one only once. Default true.</summary>
    public bool Deduplicate { get; set; } = true;

    /// <summary>
    /// Duplicates are detected within tumbling event-time windows of this many seconds, kept until the watermark passes
    /// them. Default 300.
    /// </summary>
    public int DeduplicateWindowSeconds { get; set; } = 300;

    /// <summary>Most event keys remembered for deduplication; beyond it the oldest window's keys are forgotten. Default 2,000,000.</summary>
    public int DeduplicateMaxKeys { get; set; } = 2_000_000;

    /// <summary>A user with more than this many events in one second of event time is quarantined; 0 off. Default 20.</summary>
    public int QuarantineEventsPerSecond { get; set; } = 20;

    /// <summary>How long a quarantine lasts, in seconds of event time. Default 300.</summary>
    public int QuarantineSeconds { get; set; } = 300;

    /// <summary>Event types the worker accepts. Default all five.</summary>
    public IReadOnlyList<EventType> KnownTypes { get; set; } =
        [EventType.View, EventType.Click, EventType.AddToCart, EventType.Purchase, EventType.Rating];

    /// <summary>Type names outside the wire protocol's set, mapped to a known type (e.g. <c>like -> click</c>).</summary>
    public IReadOnlyDictionary<string, EventType> TypeMap { get; set; } = new Dictionary<string, EventType>(StringComparer.Ordinal);
}
