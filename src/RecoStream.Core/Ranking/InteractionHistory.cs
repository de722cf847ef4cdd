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
    private HistoryCopy? _copy;
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
        if (items.Pending && !items.Contains(itemIndex))
        {
            KeepForCopy(items);
        }

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
    /// The next checkpoint's part: only the users whose items changed since the previous call, and the users dropped
    /// since, so a checkpoint costs what changed, not the whole history. The items are not copied: each user's are read
    /// when the snapshot is, or from a copy made when the user's items changed since (copy on write); a million changed
    /// users' copies took about 40 MB, which lived as long as the checkpoint's write. Call
    /// <see cref="HistorySnapshot.Release"/> once the snapshot is written.
    /// </summary>
    public HistorySnapshot SnapshotChanges()
    {
        // A snapshot of changes never released (taken but not written) gets its items copied now.
        _copy?.Detach();
        var users = new List<string>(_changed.Count);
        var changed = new List<UserItems>(_changed.Count);
        foreach (var user in _changed)
        {
            if (_users.TryGetValue(user, out var items) && items.Changed)
            {
                items.Changed = false;
                items.Pending = true;
                users.Add(user);
                changed.Add(items);
            }
        }

        _changed.Clear();
        string[] removed = [.. _removed];
        _removed.Clear();
        var copy = new HistoryCopy(this, [.. users], [.. changed]);
        Volatile.Write(ref _copy, copy);
        return new HistorySnapshot(copy, ChangesOnly: true, removed, _users.Count) { Release = copy.Release };
    }

    private void KeepForCopy(UserItems items)
    {
        if (Volatile.Read(ref _copy) is { } copy)
        {
            copy.Keep(items);
        }
        else
        {
            items.Pending = false;
        }
    }

    /// <summary>
    /// The changed users of a snapshot of changes, read by the thread that writes the checkpoint while the pipeline goes
    /// on: a user's items are read from the history while marked pending; the pipeline copies them aside (and clears the
    /// mark) under the same lock before it changes them. Released once written.
    /// </summary>
    private sealed class HistoryCopy(InteractionHistory history, string[] users, UserItems[] items) : IReadOnlyList<UserHistoryEntry>
    {
        private readonly Lock _gate = new();
        private Dictionary<UserItems, int[]>? _kept;
        private UserHistoryEntry[]? _entries;
        private bool _done;

        public int Count => users.Length;

        public UserHistoryEntry this[int index]
        {
            get
            {
                lock (_gate)
                {
                    return Read(index);
                }
            }
        }

        private UserHistoryEntry Read(int index)
        {
            if (_entries is not null)
            {
                return _entries[index];
            }

            var user = items[index];
            return new UserHistoryEntry(users[index], _kept is not null && _kept.TryGetValue(user, out var kept) ? kept : user.Copy());
        }

        /// <summary>On the pipeline, before a user's items change: copies them if still pending.</summary>
        public void Keep(UserItems user)
        {
            lock (_gate)
            {
                if (user.Pending)
                {
                    (_kept ??= new(ReferenceEqualityComparer.Instance)).Add(user, user.Copy());
                    user.Pending = false;
                }
            }
        }

        /// <summary>On the pipeline, when a newer snapshot of changes is taken before this one was released: copies every user's items.</summary>
        public void Detach()
        {
            lock (_gate)
            {
                if (!_done)
                {
                    _entries = [.. Enumerable.Range(0, users.Length).Select(Read)];
                    Finish();
                }
            }
        }

        /// <summary>Once the snapshot is written: the items are no longer read.</summary>
        public void Release()
        {
            lock (_gate)
            {
                if (!_done)
                {
                    Finish();
                }
            }
        }

        private void Finish()
        {
            foreach (var user in items)
            {
                user.Pending = false;
            }

            _kept = null;
            _done = true;
            Interlocked.CompareExchange(ref history._copy, null, this);
        }

        public IEnumerator<UserHistoryEntry> GetEnumerator()
        {
            for (var i = 0; i < users.Length; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Replaces the contents with a checkpoint's.</summary>
    public void Restore(HistorySnapshot snapshot)
    {
        _copy?.Detach();
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

        /// <summary>The items are in the unwritten snapshot of changes, read from here (not copied aside yet).</summary>
        public bool Pending { get; set; }

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
