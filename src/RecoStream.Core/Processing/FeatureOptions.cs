namespace RecoStream.Core.Processing;

/// <summary>How numeric event features are extracted and normalized (configuration section <c>RecoStream:Features</c>).</summary>
public sealed class FeatureOptions
{
    /// <summary>Master switch: false passes every raw value to the learners. Default true.</summary>
    public bool Normalize { get; set; } = true;

    /// <summary>The mode of a numeric event feature with no entry in <see cref="Modes"/>. Default <see cref="NormalizationMode.ZScore"/>.</summary>
    public NormalizationMode DefaultMode { get; set; } = NormalizationMode.ZScore;

    /// <summary>
    /// The mode per feature name (event features and the behaviour features such as <c>user_events</c>, whose own default is
    /// <see cref="NormalizationMode.Log1pZScore"/>).
    /// </summary>
    public IReadOnlyDictionary<string, NormalizationMode> Modes { get; set; } = new Dictionary<string, NormalizationMode>(StringComparer.Ordinal);

    /// <summary>Z-scores are clipped to [-Clip, Clip] so one outlier cannot blow up a gradient step. Default 5.</summary>
    public double Clip { get; set; } = 5.0;

    /// <summary>Most distinct feature names tracked; features with new names beyond it are ignored and counted. Default 1024.</summary>
    public int MaxDistinctFeatures { get; set; } = 1024;

    /// <summary>Add per-user and per-item running statistics (activity, rate, recency, spend) as features. Default true.</summary>
    public bool Behaviour { get; set; } = true;

    /// <summary>
    /// Users (and, apart, items) whose behaviour statistics are kept; beyond it the least recently active are dropped
    /// and start afresh when seen again. 0 (the default): no limit.
    /// </summary>
    public int BehaviourMaxKeys { get; set; }
}
