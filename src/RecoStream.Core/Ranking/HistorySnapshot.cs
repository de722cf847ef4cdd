namespace RecoStream.Core.Ranking;

/// <summary>The interaction history's checkpointed state.</summary>
public sealed record HistorySnapshot(IReadOnlyList<UserHistoryEntry> Users);

/// <summary>One user's item indices, oldest first.</summary>
public sealed record UserHistoryEntry(string User, int[] Items);
