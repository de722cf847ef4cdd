namespace RecoStream.Core.Events;

/// <summary>The wire names of <see cref="EventType"/> (<c>view</c>, <c>click</c>, <c>add_to_cart</c>, <c>purchase</c>, <c>rating</c>).</summary>
public static class EventTypeNames
{
    /// <summary>Maps a UTF-8 wire name to its type, or <see cref="EventType.Unknown"/>.</summary>
    public static EventType Parse(ReadOnlySpan<byte> utf8Name) => utf8Name switch
    {
        _ when utf8Name.SequenceEqual("view"u8) => EventType.View,
        _ when utf8Name.SequenceEqual("click"u8) => EventType.Click,
        _ when utf8Name.SequenceEqual("add_to_cart"u8) => EventType.AddToCart,
        _ when utf8Name.SequenceEqual("purchase"u8) => EventType.Purchase,
        _ when utf8Name.SequenceEqual("rating"u8) => EventType.Rating,
        _ => EventType.Unknown,
    };

    /// <summary>The wire name of a known type.</summary>
    public static string ToWireName(EventType type) => type switch
    {
        EventType.View => "view",
        EventType.Click => "click",
        EventType.AddToCart => "add_to_cart",
        EventType.Purchase => "purchase",
        EventType.Rating => "rating",
        _ => "unknown",
    };
}
