namespace RecoStream.Worker.Configuration;

/// <summary>Recommendation serving (section <c>RecoStream:Serving</c>).</summary>
internal sealed class ServingOptions
{
    /// <summary>Most recent distinct items remembered per user for exclusion from recommendations. Default 1000.</summary>
    public int MaxInteractionsPerUser { get; set; } = 1000;
}
