using System.Runtime.CompilerServices;

namespace RecoStream.Core.Events;

/// <summary>
/// The behaviour features of one event, computed from what the stream showed before it: how active the user and the
/// item are, how recently they were seen, how much the user spends.
/// </summary>
[InlineArray(Count)]
public struct BehaviourVector
{
    /// <summary>How many behaviour features there are.</summary>
    public const int Count = 6;

    /// <summary>The user's events before this one.</summary>
    public const int UserEvents = 0;

    /// <summary>The user's events per day of event time over their active span (0 for a new user).</summary>
    public const int UserEventsPerDay = 1;

    /// <summary>Seconds of event time since the user's previous event (0 for a new user).</summary>
    public const int UserRecencySeconds = 2;

    /// <summary>The user's mean purchase value so far (0 before the first purchase with a value).</summary>
    public const int UserMeanPurchase = 3;

    /// <summary>The item's events before this one.</summary>
    public const int ItemEvents = 4;

    /// <summary>Seconds of event time since the item's previous event (0 for a new item).</summary>
    public const int ItemRecencySeconds = 5;

    private double _element0;

    /// <summary>The feature names, as the normalizer and the hashed learners see them.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["user_events", "user_events_per_day", "user_recency_s", "user_mean_purchase", "item_events", "item_recency_s"];
}
