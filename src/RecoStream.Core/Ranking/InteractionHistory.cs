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
            UsersDropped += OldestEntries.Trim(_users, _maxUsers, u => u.Touched);
        }

        items.Touched = ++_clock;
        items.Add(itemIndex, _maxPerUser);
    }

    /// <summary>The items a known user interacted with; false for an unknown user.</summary>
    public bool TryGetItems(string user, out IReadOnlySet<int> items)
    {
        if (_users.TryGetValue(user, out var found))
        {
            items = found.Set;
            return true;
        }

        items = EmptySet;
        return false;
    }

    private static readonly IReadOnlySet<int> EmptySet = new HashSet<int>();

    /// <summary>A copy for a checkpoint: per user, item indices oldest first.</summary>
    public HistorySnapshot Snapshot()
    {
        var users = new List<UserHistoryEntry>(_users.Count);
        foreach (var (user, items) in _users)
        {
            users.Add(new UserHistoryEntry(user, [.. items.Order]));
        }

        return new HistorySnapshot(users);
    }

    /// <summary>Replaces the contents with a checkpoint's.</summary>
    public void Restore(HistorySnapshot snapshot)
    {
        _users.Clear();
        foreach (var entry in snapshot.Users)
        {
            var items = new UserItems();
            foreach (var index in entry.Items)
            {
                items.Add(index, _maxPerUser);
            }

            items.Touched = ++_clock;
            _users.Add(entry.User, items);
        }

        UsersDropped += OldestEntries.Trim(_users, _maxUsers, u => u.Touched);
    }

    private sealed class UserItems
    {
        public HashSet<int> Set { get; } = [];

        public Queue<int> Order { get; } = new();

        /// <summary>When the user last interacted (a sequence number of this process; restore order after a restart).</summary>
        public long Touched { get; set; }

        public void Add(int itemIndex, int max)
        {
            if (!Set.Add(itemIndex))
            {
                return;
            }

            Order.Enqueue(itemIndex);
            if (Order.Count > max)
            {
                Set.Remove(Order.Dequeue());
            }
        }
    }
}
