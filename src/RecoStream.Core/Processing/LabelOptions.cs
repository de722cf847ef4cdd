namespace RecoStream.Core.Processing;

/// <summary>
/// Implicit-feedback strength per event type, used as the label when an event has no value
/// (configuration section <c>RecoStream:Labels</c>). Ratings always use their value.
/// </summary>
public sealed class LabelOptions
{
    /// <summary>Label of a view without a value. Default 1.</summary>
    public double View { get; set; } = 1.0;

    /// <summary>Label of a click without a value. Default 2.</summary>
    public double Click { get; set; } = 2.0;

    /// <summary>Label of an add-to-cart without a value. Default 3.</summary>
    public double AddToCart { get; set; } = 3.0;

    /// <summary>Label of a purchase without a value. Default 5.</summary>
    public double Purchase { get; set; } = 5.0;

    /// <summary>
    /// Half-life (seconds of event time) of a value-less event's strength, by its age behind the newest event time seen;
    /// 0 keeps the full strength. Default 0.
    /// </summary>
    public int HalfLifeSeconds { get; set; }
}
