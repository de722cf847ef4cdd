namespace RecoStream.EventGen;

/// <summary>The shape of a generated stream.</summary>
public sealed class SyntheticEventOptions
{
    /// <summary>Seed of the pseudo-random generator; the same seed gives the same stream. Default 42.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Number of distinct users. Default 2000.</summary>
    public int Users { get; set; } = 2000;

    /// <summary>Number of distinct items. Default 500.</summary>
    public int Items { get; set; } = 500;

    /// <summary>Number of event lines. Default 100000.</summary>
    public int Events { get; set; } = 100_000;

    /// <summary>Fraction of lines replaced by deliberately bad ones (malformed, missing fields, ...). Default 0.</summary>
    public double BadFraction { get; set; }

    /// <summary>Event time of the first event, Unix ms. Default 1700000000000.</summary>
    public long StartMs { get; set; } = 1_700_000_000_000;
}
