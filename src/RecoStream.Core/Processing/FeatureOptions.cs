namespace RecoStream.Core.Processing;

/// <summary>How numeric event features are normalized (configuration section <c>RecoStream:Features</c>).</summary>
public sealed class FeatureOptions
{
    /// <summary>Apply the online z-score to numeric features. Default true; false passes raw values to the learner.</summary>
    public bool Normalize { get; set; } = true;

    /// <summary>Normalized values are clipped to [-Clip, Clip] so one outlier cannot blow up a gradient step. Default 5.</summary>
    public double Clip { get; set; } = 5.0;

    /// <summary>Most distinct feature names tracked; features with new names beyond it are ignored and counted. Default 1024.</summary>
    public int MaxDistinctFeatures { get; set; } = 1024;
}
