using RecoStream.Core.Events;

namespace RecoStream.Core.Processing;

/// <summary>
/// The validate stage: the rules that need the whole event rather than one field (known event type, after mapping
/// configured type names; a value on every rating).
/// </summary>
public sealed class EventValidator
{
    private static readonly EventType[] KnownTypes =
        [EventType.View, EventType.Click, EventType.AddToCart, EventType.Purchase, EventType.Rating];

    private readonly HashSet<EventType> _accepted;
    private readonly IReadOnlyDictionary<string, EventType> _map;
    private readonly string _acceptedNames;

    /// <summary>Accepts the given event types (default: all five known types), mapping other type names as configured.</summary>
    public EventValidator(IEnumerable<EventType>? accepted = null, IReadOnlyDictionary<string, EventType>? typeMap = null)
    {
        _accepted = [.. accepted ?? KnownTypes];
        _accepted.Remove(EventType.Unknown);
        _map = typeMap ?? new Dictionary<string, EventType>();
        _acceptedNames = string.Join(", ", KnownTypes.Where(_accepted.Contains).Select(EventTypeNames.ToWireName).Concat(_map.Keys));
    }

    /// <summary>Accepts the known types of the cleaning options, with their type map.</summary>
    public EventValidator(CleaningOptions options)
        : this(options.KnownTypes, options.TypeMap)
    {
    }

    /// <summary>Checks an event; passes other items through.</summary>
    public StreamItem Validate(StreamItem item)
    {
        if (item.Kind != StreamItemKind.Event)
        {
            return item;
        }

        var e = item.Event!;
        if (e.Type == EventType.Unknown && e.RawTypeName is not null && _map.TryGetValue(e.RawTypeName, out var mapped))
        {
            e.Type = mapped;
        }

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
