using RecoStream.Core.Processing;

namespace RecoStream.Core.Ranking;

/// <summary>
/// The items each user has interacted with, so recommendations can exclude them. Per user it keeps at most
/// the most recent <c>maxPerUser</c> distinct items (older ones age out), which bounds memory per user.
/// </summary>
public sealed class InteractionHistory
{
    private readonly int _maxPerUser;
    private readonly int _maxUsers;
    private readonly Dictionary<string, UserItems> _users = new(StringComparer.Ordinal);
    private readonly List<string> _changed = [];
    private readonly HashSet<string> _removed = new(StringComparer.Ordinal);
    private long _clock;

    /// <param name="maxPerUser">Most recent distinct items kept per user.</param>
    /// <param name="maxUsers">
    /// Users kept (0: no limit); beyond it the least recently active users' items are dropped, and items they saw may be
    /// recommended to them again.
    /// </param>
    public InteractionHistory(int maxPerUser, int maxUsers = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerUser, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxUsers);
        _maxPerUser = maxPerUser;
        _maxUsers = maxUsers;
    }

    /// <summary>Users whose items were dropped to stay within the user limit.</summary>
    public long UsersDropped { get; private set; }

    /// <summary>How many users are known.</summary>
    public int UserCount => _users.Count;

    /// <summary>Records that a user interacted with the item at <paramref name="itemIndex"/>.</summary>
    public void Record(string user, int itemIndex)
    {
        if (!_users.TryGetValue(user, out var items))
        {
            items = new UserItems { Touched = ++_clock };
            _users.Add(user, items);
            _removed.Remove(user);
            TrimUsers();
        }

        items.Touched = ++_clock;
        if (items.Add(itemIndex, _maxPerUser))
        {
            MarkChanged(user, items);
        }
    }

    private void MarkChanged(string user, UserItems items)
    {
        if (!items.Changed)
        {
            items.Changed = true;
            _changed.Add(user);
        }
    }

    private void TrimUsers()
    {
        if (_maxUsers <= 0 || _users.Count <= _maxUsers)
        {
            return;
        }

        UsersDropped += OldestEntries.Trim(_users, _maxUsers, u => u.Touched, (user, _) => _removed.Add(user));
    }

    /// <summary>
    /// The items a user interacted with, each once, in no particular order (none for an unknown user); valid until the
    /// history changes. Unlike <see cref="TryGetItems"/>, reading them allocates nothing.
    /// </summary>
    public ReadOnlySpan<int> SeenItems(string user) => _users.TryGetValue(user, out var found) ? found.Items : [];

    /// <summary>The items a known user interacted with; false for an unknown user.</summary>
    public bool TryGetItems(string user, out IReadOnlySet<int> items)
    {
        if (_users.TryGetValue(user, out var found))
        {
            items = found;
            return true;
        }

        items = EmptySet;
        return false;
    }

    private static readonly IReadOnlySet<int> EmptySet = new HashSet<int>();

    /// <summary>
    /// A copy of every user's items, oldest first. A user's items are copied once after they change and the copy is
    /// shared by later snapshots until they change again (copies are never modified).
    /// </summary>
    public HistorySnapshot Snapshot()
    {
        var users = new List<UserHistoryEntry>(_users.Count);
        foreach (var (user, items) in _users)
        {
            users.Add(new UserHistoryEntry(user, items.Copy()));
        }

        return new HistorySnapshot(users);
    }

    /// <summary>
    /// A copy for the next checkpoint: only the users whose items changed since the previous call, and the users dropped
    /// since, so a checkpoint costs what changed, not the whole history. With <paramref name="inPlace"/>, each user's
    /// items are copied only when the snapshot is read (for a checkpoint written before the history changes again, as a
    /// durable one is: a million changed users' copies took about 40 MB), unless <see cref="HistoryInPlace.Pack"/> copies
    /// them all first.
    /// </summary>
    public HistorySnapshot SnapshotChanges(bool inPlace = false)
    {
        var changed = new List<string>(inPlace ? _changed.Count : 0);
        var copies = new List<UserHistoryEntry>(inPlace ? 0 : _changed.Count);
        foreach (var user in _changed)
        {
            if (_users.TryGetValue(user, out var items) && items.Changed)
            {
                items.Changed = false;
                if (inPlace)
                {
                    changed.Add(user);
                }
                else
                {
                    copies.Add(new UserHistoryEntry(user, items.Copy()));
                }
            }
        }

        _changed.Clear();
        string[] removed = [.. _removed];
        _removed.Clear();
        IReadOnlyList<UserHistoryEntry> users = inPlace ? new HistoryInPlace([.. changed], user => _users[user].Copy()) : copies;
        return new HistorySnapshot(users, ChangesOnly: true, removed, _users.Count);
    }

    /// <summary>Replaces the contents with a checkpoint's.</summary>
    public void Restore(HistorySnapshot snapshot)
    {
        _users.Clear();
        _changed.Clear();
        _removed.Clear();
        foreach (var entry in snapshot.Users)
        {
            var items = new UserItems();
            foreach (var index in entry.Items)
            {
                items.Add(index, _maxPerUser);
            }

            items.Touched = ++_clock;
            _users.Add(entry.User, items);
            if (snapshot.WriteAllNext)
            {
                MarkChanged(entry.User, items);
            }
        }

        TrimUsers();
    }

    /// <summary>
    /// One user's items: the most recent distinct ones in a ring of at most <c>maxPerUser</c> entries, grown by
    /// doubling (one small array per user, where a hash set and a queue took about 300 bytes for a user with two items).
    /// Membership is a vectorized scan of the ring, which at the thousand items of the default limit costs about what a
    /// hash set's lookup does and far less memory.
    /// </summary>
    private sealed class UserItems : IReadOnlySet<int>
    {
        private int[] _items = new int[2];
        private int _count;

        // Where the oldest item is once the ring is full (before that, item 0).
        private int _oldest;

        /// <summary>When the user last interacted (a sequence number of this process; restore order after a restart).</summary>
        public long Touched { get; set; }

        /// <summary>The items changed since the last snapshot of changes.</summary>
        public bool Changed { get; set; }

        public int Count => _count;

        /// <summary>The items, oldest first.</summary>
        public int[] Copy()
        {
            var copy = new int[_count];
            var tail = _items.AsSpan(_oldest, _count - _oldest);
            tail.CopyTo(copy);
            _items.AsSpan(0, _oldest).CopyTo(copy.AsSpan(tail.Length));
            return copy;
        }

        /// <summary>Adds an item (the oldest goes beyond <paramref name="max"/>); false when the user already has it.</summary>
        public bool Add(int itemIndex, int max)
        {
            if (Contains(itemIndex))
            {
                return false;
            }

            if (_count < max)
            {
                if (_count == _items.Length)
                {
                    Array.Resize(ref _items, Math.Min(max, _items.Length * 2));
                }

                _items[_count++] = itemIndex;
            }
            else
            {
                _items[_oldest] = itemIndex;
                _oldest = (_oldest + 1) % _count;
            }

            return true;
        }

        public bool Contains(int item) => _items.AsSpan(0, _count).Contains(item);

        /// <summary>The items in ring order (each once).</summary>
        public ReadOnlySpan<int> Items => _items.AsSpan(0, _count);

        public IEnumerator<int> GetEnumerator()
        {
            for (var i = 0; i < _count; i++)
            {
                yield return _items[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        // The set comparisons no caller on the hot path uses: through a hash set of the items.
        public bool IsProperSubsetOf(IEnumerable<int> other) => AsHashSet().IsProperSubsetOf(other);

        public bool IsProperSupersetOf(IEnumerable<int> other) => AsHashSet().IsProperSupersetOf(other);

        public bool IsSubsetOf(IEnumerable<int> other) => AsHashSet().IsSubsetOf(other);

        public bool IsSupersetOf(IEnumerable<int> other) => AsHashSet().IsSupersetOf(other);

        public bool Overlaps(IEnumerable<int> other) => AsHashSet().Overlaps(other);

        public bool SetEquals(IEnumerable<int> other) => AsHashSet().SetEquals(other);

        private HashSet<int> AsHashSet() => [.. _items.AsSpan(0, _count)];
    }
}
