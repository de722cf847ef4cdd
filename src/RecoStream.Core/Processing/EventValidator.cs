using RecoStream.Core.Events;

namespace RecoStream.Core.Processing;

/// <summary>
/// The validate/clean stage: the rules that need the whole event rather than one field (known event type,
/// a value on every rating).
/// </summary>
public sealed class EventValidator
{
    private static readonly EventType[] KnownTypes =
        [EventType.View, EventType.Click, EventType.AddToCart, EventType.Purchase, EventType.Rating];

    private readonly HashSet<EventType> _accepted;
    private readonly string _acceptedNames;

    /// <summary>Accepts the given event types (default: all five known types).</summary>
    public EventValidator(IEnumerable<EventType>? accepted = null)
    {
        _accepted = [.. accepted ?? KnownTypes];
        _accepted.Remove(EventType.Unknown);
        _acceptedNames = string.Join(", ", KnownTypes.Where(_accepted.Contains).Select(EventTypeNames.ToWireName));
    }

    /// <summary>Checks an event; passes other items through.</summary>
    public StreamItem Validate(StreamItem item)
    {
        if (item.Kind != StreamItemKind.Event)
        {
            return item;
        }

        var e = item.Event!;
        if (!_accepted.Contains(e.Type))
        {
            var name = e.Type == EventType.Unknown ? e.RawTypeName : EventTypeNames.ToWireName(e.Type);
            return item.Reject(RejectReason.UnknownEventType, $"unknown event type '{name}' (allowed: {_acceptedNames})");
        }

        if (e.Type == EventType.Rating && e.Value is null)
        {
            return item.Reject(RejectReason.MissingValue, "a rating event needs a numeric 'value'");
        }

        return item;
    }
}
