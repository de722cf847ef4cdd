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

    /// <summary>
    /// For a snapshot of changes read from the history: where a writer resumes and tells the history which users are
    /// stored (<see cref="Learners.IWriteProgress"/>); null otherwise.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Learners.IWriteProgress? Progress => Users as Learners.IWriteProgress;

    /// <summary>
    /// The user at <paramref name="index"/> of <see cref="Users"/>, with its items, oldest first, copied into
    /// <paramref name="items"/> (grown when short); <paramref name="count"/> is how many. For a writer that encodes each
    /// user at once: a snapshot of changes then makes no entry or array per user (a million changed users' were about
    /// 66 MB of garbage in each checkpoint that wrote them). The user's id is valid until the next call (the history keeps
    /// ids as bytes, and makes no string of them for the writer).
    /// </summary>
    public ReadOnlySpan<char> Read(int index, ref int[] items, out int count)
    {
        if (Users is IUserItemsReader reader)
        {
            return reader.Read(index, ref items, out count);
        }

        var entry = Users[index];
        count = entry.Items.Length;
        CopyItems(entry.Items, ref items);
        return entry.User;
    }

    /// <summary>Copies <paramref name="source"/> to the start of <paramref name="items"/>, grown when short.</summary>
    internal static void CopyItems(ReadOnlySpan<int> source, ref int[] items) => source.CopyTo(Room(ref items, source.Length));

    /// <summary><paramref name="items"/>, replaced by a larger array when shorter than <paramref name="count"/>.</summary>
    internal static int[] Room(ref int[] items, int count)
    {
        if (items.Length < count)
        {
            items = new int[Math.Max(count, 2 * items.Length)];
        }

        return items;
    }
}

/// <summary>Users' items read one at a time into the caller's buffer (<see cref="HistorySnapshot.Read"/>).</summary>
internal interface IUserItemsReader
{
    /// <summary>
    /// The user at <paramref name="index"/> (valid until the next call); its items, oldest first, into
    /// <paramref name="items"/>.
    /// </summary>
    ReadOnlySpan<char> Read(int index, ref int[] items, out int count);
}

/// <summary>One user's items, oldest first.</summary>
public sealed record UserHistoryEntry(string User, int[] Items);
