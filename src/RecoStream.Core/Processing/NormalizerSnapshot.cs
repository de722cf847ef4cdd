namespace RecoStream.Core.Processing;

/// <summary>The normalizer's checkpointed state: Welford statistics per feature name.</summary>
public sealed record NormalizerSnapshot(IReadOnlyList<FeatureStatisticsEntry> Features, long IgnoredFeatures);

/// <summary>One feature's running statistics.</summary>
public sealed record FeatureStatisticsEntry(string Name, long Count, double Mean, double M2);
