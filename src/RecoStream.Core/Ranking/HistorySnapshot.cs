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
}

/// <summary>One user's items, oldest first.</summary>
public sealed record UserHistoryEntry(string User, int[] Items);

/// <summary>
/// The changed users of a snapshot taken in place (<see cref="InteractionHistory.SnapshotChanges"/>): each entry reads the
/// user's items from the history when it is read, so the history must not change until the snapshot is written, or
/// until <see cref="Pack"/> has copied them all.
/// </summary>
internal sealed class HistoryInPlace : IReadOnlyList<UserHistoryEntry>
{
    private readonly string[] _users;
    private Func<string, int[]>? _read;
    private UserHistoryEntry[]? _packed;

    internal HistoryInPlace(string[] users, Func<string, int[]> read)
    {
        _users = users;
        _read = read;
    }

    public int Count => _users.Length;

    public UserHistoryEntry this[int index] => _packed is { } packed ? packed[index] : new UserHistoryEntry(_users[index], _read!(_users[index]));

    /// <summary>Copies every user's items now, so that the snapshot stays valid while the history changes.</summary>
    public void Pack()
    {
        if (_packed is null)
        {
            _packed = [.. this];
            _read = null;
        }
    }

    public IEnumerator<UserHistoryEntry> GetEnumerator()
    {
        for (var i = 0; i < _users.Length; i++)
        {
            yield return this[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
