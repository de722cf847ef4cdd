namespace RecoStream.Core.Processing;

/// <summary>The normalizer's checkpointed state: running statistics per feature name.</summary>
public sealed record NormalizerSnapshot(IReadOnlyList<FeatureStatisticsEntry> Features, long IgnoredFeatures);

/// <summary>One feature's running statistics, and the mode they were kept in (null in stores written before modes existed).</summary>
public sealed record FeatureStatisticsEntry(string Name, long Count, double Mean, double M2,
    double Min = 0, double Max = 0, NormalizationMode? Mode = null);
