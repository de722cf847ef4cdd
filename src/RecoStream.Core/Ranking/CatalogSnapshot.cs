namespace RecoStream.Core.Ranking;

/// <summary>The item catalog's checkpointed state: ids and counts in index order.</summary>
public sealed record CatalogSnapshot(IReadOnlyList<string> Ids, IReadOnlyList<long> Counts);
