namespace RecoStream.Core.Processing;

/// <summary>How one numeric feature is scaled before a learner sees it.</summary>
public enum NormalizationMode
{
    /// <summary>The raw value.</summary>
    None,

    /// <summary>Online z-score (x - mean) / stddev with Welford's statistics, clipped.</summary>
    ZScore,

    /// <summary>(x - min) / (max - min) over the running bounds, in [0, 1].</summary>
    MinMax,

    /// <summary>sign(x) * log(1 + |x|), for heavy-tailed values.</summary>
    Log1p,

    /// <summary>log1p first, then the online z-score of the logged values: the default for counts and durations.</summary>
    Log1pZScore,
}
