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
    public string User { get; private set; }

    /// <summary>The item id, non-empty.</summary>
    public string Item { get; private set; }

    /// <summary>The event type (the cleaning stage may map an unknown type name to a known type).</summary>
    public EventType Type { get; internal set; }

    /// <summary>The event's value (the rating for <see cref="EventType.Rating"/>); null when absent. Clamped by cleaning when configured.</summary>
    public double? Value { get; internal set; }

    /// <summary>Event time, Unix epoch milliseconds (set only by the parser; benchmarks replay events with shifted times).</summary>
    public long TimestampMs { get; internal set; }

    /// <summary>Names of the numeric features, parallel to <see cref="FeatureValues"/>.</summary>
    public string[] FeatureNames { get; private set; }

    /// <summary>Feature values: raw after parsing, normalized after the normalization stage.</summary>
    public double[] FeatureValues { get; private set; }

    /// <summary>Categorical (string-valued) features as <c>name=value</c>; the hashed learners give each weight 1.</summary>
    public string[] Categories { get => _categories; init => _categories = value; }

    /// <summary>The type name as sent, kept only when it was not recognised (for the rejection message and type mapping).</summary>
    public string? RawTypeName { get; private set; }

    /// <summary>64-bit hash of the user id, set by the cleaning stage (0 before).</summary>
    public ulong UserKey { get; internal set; }

    /// <summary>64-bit hash of the item id, set by the cleaning stage (0 before).</summary>
    public ulong ItemKey { get; internal set; }

    /// <summary>
    /// Implicit-feedback strength of a value-less event, set by the feature stage from the event type and optionally
    /// decayed by the event's age; NaN until then (the label policy then uses the type's undecayed strength).
    /// </summary>
    public double Strength { get; internal set; } = double.NaN;

    /// <summary>True once the feature stage has filled <see cref="Behaviour"/>.</summary>
    public bool HasBehaviour { get; internal set; }

    /// <summary>
    /// Per-user and per-item running statistics as features, filled by the feature stage (raw) and normalized in place by
    /// the normalization stage. Held inline so that the stages allocate nothing per event.
    /// </summary>
    public ref BehaviourVector Behaviour => ref _behaviour;

    /// <summary>
    /// True once something keeps the event beyond its batch (a windowed-batch learner's window): the pipeline then never
    /// hands it back to <see cref="StreamItemPool"/> for reuse.
    /// </summary>
    public bool Retained { get; internal set; }

    private BehaviourVector _behaviour;
    private string[] _categories = [];

    /// <summary>
    /// Makes this (recycled) event the one a parser read, as a new event would be: every field set, every stage's field
    /// back to its initial value. The feature arrays are reused when their lengths match, so a stream whose events carry
    /// the same features allocates none.
    /// </summary>
    internal void Refill(string user, string item, EventType type, double? value, long timestampMs,
        ReadOnlySpan<string> featureNames, ReadOnlySpan<double> featureValues, ReadOnlySpan<string> categories, string? rawTypeName)
    {
        User = user;
        Item = item;
        Type = type;
        Value = value;
        TimestampMs = timestampMs;
        FeatureNames = Reuse(FeatureNames, featureNames);
        FeatureValues = Reuse(FeatureValues, featureValues);
        _categories = Reuse(_categories, categories);
        RawTypeName = rawTypeName;
        UserKey = 0;
        ItemKey = 0;
        Strength = double.NaN;
        HasBehaviour = false;
        _behaviour = default;
    }

    private static T[] Reuse<T>(T[] array, ReadOnlySpan<T> values)
    {
        if (values.IsEmpty)
        {
            return [];
        }

        if (array.Length != values.Length)
        {
            array = new T[values.Length];
        }

        values.CopyTo(array);
        return array;
    }
}
