using RecoStream.Core.Events;

namespace RecoStream.Core.Processing;

/// <summary>Chooses the regression label of an event: its value when given, else its type's strength.</summary>
public sealed class LabelPolicy
{
    private readonly LabelOptions _options;

    public LabelPolicy(LabelOptions options)
    {
        _options = options;
    }

    /// <summary>The label the learner is trained towards: the event's value, else its (possibly decayed) strength.</summary>
    public double LabelOf(UserEvent e) => e.Value ?? (double.IsNaN(e.Strength) ? StrengthOf(e.Type) : e.Strength);

    /// <summary>The undecayed strength of a value-less event of this type.</summary>
    public double StrengthOf(EventType type) => type switch
    {
        EventType.View => _options.View,
        EventType.Click => _options.Click,
        EventType.AddToCart => _options.AddToCart,
        EventType.Purchase => _options.Purchase,
        _ => throw new ArgumentException($"event type {type} has no default strength", nameof(type)),
    };
}
