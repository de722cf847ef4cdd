namespace RecoStream.Core.Events;

/// <summary>The kinds of user behaviour RecoStream learns from.</summary>
public enum EventType
{
    /// <summary>A type name the parser did not recognise; the validator rejects it.</summary>
    Unknown = 0,
    View,
    Click,
    AddToCart,
    Purchase,
    Rating,
}
