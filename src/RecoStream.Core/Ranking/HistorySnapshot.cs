namespace RecoStream.Core.Ranking;

/// <summary>
/// The interaction history in a checkpoint: per user, item indices oldest first. A snapshot of changes
/// (<see cref="ChangesOnly"/>) holds only the users whose items changed since the previous one and the users dropped
/// since (<see cref="Removed"/>); the store already has the others.
/// </summary>
/// <param name="Users">The users' items (all users, or those changed).</param>
/// <param name="ChangesOnly">True when <paramref name="Users"/> holds only the changed users.</param>
/// <param name="Removed">Users dropped since the previous snapshot of changes.</param>
/// <param name="UserCount">Users the history holds in all; -1 for <c>Users.Count</c>.</param>
public sealed record HistorySnapshot(IReadOnlyList<UserHistoryEntry> Users, bool ChangesOnly = false, IReadOnlyList<string>? Removed = null, int UserCount = -1)
{
    /// <summary>Users the history holds in all.</summary>
    public int TotalUsers => UserCount >= 0 ? UserCount : Users.Count;

    /// <summary>
    /// Set on a snapshot read from a store that kept the history as one record (an earlier layout): after restoring it,
    /// the next snapshot of changes holds every user, so the store gets every user's row.
    /// </summary>
    public bool WriteAllNext { get; init; }

    /// <summary>
    /// Called once the snapshot is written and no longer read: a snapshot of changes reads the users' items from the
    /// history (<see cref="InteractionHistory.SnapshotChanges"/>) until then.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Action? Release { get; init; }
}

/// <summary>One user's items, oldest first.</summary>
public sealed record UserHistoryEntry(string User, int[] Items);
