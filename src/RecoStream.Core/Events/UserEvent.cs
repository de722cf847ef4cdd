namespace RecoStream.Core.Events;

/// <summary>
/// One parsed user-behaviour event. <see cref="FeatureValues"/> holds the raw values as parsed until the
/// normalization stage replaces them with their normalized values in place.
/// </summary>
public sealed class UserEvent
{
    public UserEvent(string user, string item, EventType type, double? value, long timestampMs,
        string[] featureNames, double[] featureValues, string? rawTypeName = null)
    {
        User = user;
        Item = item;
        Type = type;
        Value = value;
        TimestampMs = timestampMs;
        FeatureNames = featureNames;
        FeatureValues = featureValues;
        RawTypeName = rawTypeName;
    }

    /// <summary>The user id, non-empty.</summary>
    public string User { get; }

    /// <summary>The item id, non-empty.</summary>
    public string Item { get; }

    /// <summary>The event type.</summary>
    public EventType Type { get; }

    /// <summary>The event's value (the rating for <see cref="EventType.Rating"/>); null when absent.</summary>
    public double? Value { get; }

    /// <summary>Event time, Unix epoch milliseconds.</summary>
    public long TimestampMs { get; }

    /// <summary>Names of the numeric features, parallel to <see cref="FeatureValues"/>.</summary>
    public string[] FeatureNames { get; }

    /// <summary>Feature values: raw after parsing, normalized after the normalization stage.</summary>
    public double[] FeatureValues { get; }

    /// <summary>The type name as sent, kept only when it was not recognised (for the rejection message).</summary>
    public string? RawTypeName { get; }
}
