namespace RecoStream.Worker.Configuration;

/// <summary>Recommendation serving (section <c>RecoStream:Serving</c>).</summary>
internal sealed class ServingOptions
{
    /// <summary>Most recent distinct items remembered per user for exclusion from recommendations. Default 1000.</summary>
    public int MaxInteractionsPerUser { get; set; } = 1000;

    /// <summary>Users whose recent items are remembered; beyond it the least recently active are forgotten. 0: no limit.</summary>
    public int MaxUsers { get; set; }
}
