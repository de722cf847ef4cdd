using System.Runtime.InteropServices;
using RecoStream.Core.Events;

namespace RecoStream.Core.Processing;

/// <summary>
/// The feature stage, after cleaning: sets a value-less event's implicit-feedback strength from its type (decayed by
/// its age when a half-life is configured), fills its behaviour features from the per-user and per-item running
/// statistics as they stood before it (activity, rate, recency, mean purchase value), then adds it to them; and
/// counts the distinct ids the hashed learners will see. Allocates nothing per event for ids it has seen before.
/// </summary>
public sealed class FeatureExtractor
{
    private const double MsPerDay = 86_400_000.0;
    private const double MinSpanMs = 3_600_000.0;

    private readonly FeatureOptions _features;
    private readonly LabelOptions _labels;
    private readonly LabelPolicy _policy;
    private readonly EventClock _clock;
    // Keyed by the ids' 64-bit hashes (set by the cleaning stage): hashing a number is cheaper than hashing a string.
    private readonly Dictionary<ulong, UserStatistics> _users = [];
    private readonly Dictionary<ulong, ItemStatistics> _items = [];
    // What changed since the last snapshot of changes (a checkpoint writes only those users and items).
    private readonly List<ulong> _changedUsers = [];
    private readonly List<ulong> _changedItems = [];
    private readonly List<string> _removedUsers = [];
    private readonly List<string> _removedItems = [];

    public FeatureExtractor(FeatureOptions features, LabelOptions labels, EventClock clock)
    {
        _features = features;
        _labels = labels;
        _policy = new LabelPolicy(labels);
        _clock = clock;
    }

    /// <summary>Distinct user ids, item ids and categorical values seen (a sketch; the hashed learners' collision estimates use it).</summary>
    public KeySketch Keys { get; } = new();

    /// <summary>Whether a learner reads the behaviour features (see <see cref="Preprocessing.FeaturesRead"/>); when not, none are kept.</summary>
    public bool BehaviourRead { get; set; } = true;

    /// <summary>Users with running statistics.</summary>
    public int Users => _users.Count;

    /// <summary>Items with running statistics.</summary>
    public int Items => _items.Count;

    /// <summary>Extracts an event's features; passes other items through.</summary>
    public StreamItem Extract(StreamItem item)
    {
        if (item.Kind != StreamItemKind.Event)
        {
            return item;
        }

        var e = item.Event!;
        var ts = e.TimestampMs;
        if (e.Value is null && e.Type != EventType.Rating)
        {
            var strength = _policy.StrengthOf(e.Type);
            if (_labels.HalfLifeSeconds > 0 && _clock.Started && _clock.NewestMs > ts)
            {
                strength *= double.Exp2(-(_clock.NewestMs - ts) / (_labels.HalfLifeSeconds * 1000.0));
            }

            e.Strength = strength;
        }

        if (e.UserKey == 0)
        {
            e.UserKey = KeyHash.Of('u', e.User);
            e.ItemKey = KeyHash.Of('i', e.Item);
        }

        Keys.Add(e.UserKey);
        Keys.Add(e.ItemKey);
        foreach (var category in e.Categories)
        {
            Keys.Add(KeyHash.Of('c', category));
        }
        if (!_features.Behaviour || !BehaviourRead)
        {
            return item;
        }

        ref var behaviour = ref e.Behaviour;
        ref var user = ref CollectionsMarshal.GetValueRefOrAddDefault(_users, e.UserKey, out var knownUser);
        if (knownUser)
        {
            behaviour[BehaviourVector.UserEvents] = user.Count;
            behaviour[BehaviourVector.UserEventsPerDay] = user.Count * MsPerDay / Math.Max(user.LastMs - user.FirstMs, MinSpanMs);
            behaviour[BehaviourVector.UserRecencySeconds] = Math.Max(0, ts - user.LastMs) / 1000.0;
            behaviour[BehaviourVector.UserMeanPurchase] = user.Purchases > 0 ? user.PurchaseTotal / user.Purchases : 0.0;
            user.FirstMs = Math.Min(user.FirstMs, ts);
            user.LastMs = Math.Max(user.LastMs, ts);
        }
        else
        {
            behaviour[BehaviourVector.UserEvents] = 0;
            behaviour[BehaviourVector.UserEventsPerDay] = 0;
            behaviour[BehaviourVector.UserRecencySeconds] = 0;
            behaviour[BehaviourVector.UserMeanPurchase] = 0;
            user.Id = e.User;
            user.FirstMs = ts;
            user.LastMs = ts;
        }

        user.Count++;
        if (e.Type == EventType.Purchase && e.Value is { } amount)
        {
            user.Purchases++;
            user.PurchaseTotal += amount;
        }

        MarkChanged(ref user, e.UserKey, _changedUsers);

        ref var itemStats = ref CollectionsMarshal.GetValueRefOrAddDefault(_items, e.ItemKey, out var knownItem);
        itemStats.Id ??= e.Item;
        behaviour[BehaviourVector.ItemEvents] = itemStats.Count;
        behaviour[BehaviourVector.ItemRecencySeconds] = knownItem ? Math.Max(0, ts - itemStats.LastMs) / 1000.0 : 0.0;
        itemStats.LastMs = knownItem ? Math.Max(itemStats.LastMs, ts) : ts;
        itemStats.Count++;
        MarkChanged(ref itemStats, e.ItemKey, _changedItems);

        e.HasBehaviour = true;
        if (!knownUser || !knownItem)
        {
            KeysDropped += OldestEntries.Trim(_users, _features.BehaviourMaxKeys, u => u.LastMs, (_, u) => _removedUsers.Add(u.Id))
                           + OldestEntries.Trim(_items, _features.BehaviourMaxKeys, i => i.LastMs, (_, i) => _removedItems.Add(i.Id));
        }

        return item;
    }

    /// <summary>Users and items whose statistics were dropped to stay within <see cref="FeatureOptions.BehaviourMaxKeys"/>.</summary>
    public long KeysDropped { get; private set; }

    /// <summary>Every user's and item's running statistics.</summary>
    public BehaviourSnapshot Snapshot() => new(
        [.. _users.Values.Select(UserEntry)],
        [.. _items.Values.Select(ItemEntry)],
        Keys.Snapshot());

    /// <summary>
    /// The statistics of the users and items that changed since the last call, and the ids dropped since (to stay within
    /// <see cref="FeatureOptions.BehaviourMaxKeys"/>): what a checkpoint writes.
    /// </summary>
    public BehaviourSnapshot SnapshotChanges()
    {
        var snapshot = new BehaviourSnapshot(TakeChanged(_users, _changedUsers, UserEntry), TakeChanged(_items, _changedItems, ItemEntry), Keys.Snapshot())
        {
            ChangesOnly = true,
            RemovedUsers = [.. _removedUsers],
            RemovedItems = [.. _removedItems],
            TotalUsers = _users.Count,
            TotalItems = _items.Count,
        };
        _removedUsers.Clear();
        _removedItems.Clear();
        return snapshot;
    }

    private static void MarkChanged<TStatistics>(ref TStatistics statistics, ulong key, List<ulong> changed)
        where TStatistics : struct, IChangeTracked
    {
        if (!statistics.Changed)
        {
            statistics.Changed = true;
            changed.Add(key);
        }
    }

    /// <summary>
    /// The entries of the keys in <paramref name="changed"/>, marked unchanged again, and the list emptied. A key dropped
    /// after it changed is among the removed ids instead; one dropped and added again is listed twice and taken once.
    /// </summary>
    private static List<TEntry> TakeChanged<TStatistics, TEntry>(Dictionary<ulong, TStatistics> table, List<ulong> changed,
        Func<TStatistics, TEntry> entry)
        where TStatistics : struct, IChangeTracked
    {
        var entries = new List<TEntry>(changed.Count);
        foreach (var key in changed)
        {
            ref var statistics = ref CollectionsMarshal.GetValueRefOrNullRef(table, key);
            if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref statistics) && statistics.Changed)
            {
                statistics.Changed = false;
                entries.Add(entry(statistics));
            }
        }

        changed.Clear();
        return entries;
    }

    /// <summary>
    /// Replaces the running statistics with a checkpoint's (every user and item; with <see cref="BehaviourSnapshot.WriteAllNext"/>
    /// all of them count as changed, so the next snapshot of changes has them all).
    /// </summary>
    public void Restore(BehaviourSnapshot snapshot)
    {
        _users.Clear();
        _items.Clear();
        _changedUsers.Clear();
        _changedItems.Clear();
        _removedUsers.Clear();
        _removedItems.Clear();
        var changed = snapshot.WriteAllNext;
        foreach (var u in snapshot.Users)
        {
            var key = KeyHash.Of('u', u.User);
            _users[key] = new UserStatistics
            {
                Id = u.User,
                Count = u.Count,
                FirstMs = u.FirstMs,
                LastMs = u.LastMs,
                Purchases = u.Purchases,
                PurchaseTotal = u.PurchaseTotal,
                Changed = changed,
            };
            if (changed)
            {
                _changedUsers.Add(key);
            }
        }

        foreach (var i in snapshot.Items)
        {
            var key = KeyHash.Of('i', i.Item);
            _items[key] = new ItemStatistics { Id = i.Item, Count = i.Count, LastMs = i.LastMs, Changed = changed };
            if (changed)
            {
                _changedItems.Add(key);
            }
        }

        Keys.Restore(snapshot.KeySketch);
    }

    private static UserStatisticsEntry UserEntry(UserStatistics u) => new(u.Id, u.Count, u.FirstMs, u.LastMs, u.Purchases, u.PurchaseTotal);

    private static ItemStatisticsEntry ItemEntry(ItemStatistics i) => new(i.Id, i.Count, i.LastMs);

    /// <summary>Statistics that know whether they changed since the last snapshot of changes.</summary>
    private interface IChangeTracked
    {
        bool Changed { get; set; }
    }

    private struct UserStatistics : IChangeTracked
    {
        public string Id;
        public long Count;
        public long FirstMs;
        public long LastMs;
        public long Purchases;
        public double PurchaseTotal;

        public bool Changed { get; set; }
    }

    private struct ItemStatistics : IChangeTracked
    {
        public string Id;
        public long Count;
        public long LastMs;

        public bool Changed { get; set; }
    }
}

/// <summary>The feature stage's checkpointed state: every user and item, or (<see cref="ChangesOnly"/>) those that changed.</summary>
public sealed record BehaviourSnapshot(IReadOnlyList<UserStatisticsEntry> Users, IReadOnlyList<ItemStatisticsEntry> Items, byte[] KeySketch)
{
    /// <summary>True when <see cref="Users"/> and <see cref="Items"/> hold only what changed since the previous snapshot of changes.</summary>
    public bool ChangesOnly { get; init; }

    /// <summary>Users whose statistics were dropped since the previous snapshot of changes.</summary>
    public IReadOnlyList<string> RemovedUsers { get; init; } = [];

    /// <summary>Items whose statistics were dropped since the previous snapshot of changes.</summary>
    public IReadOnlyList<string> RemovedItems { get; init; } = [];

    /// <summary>Read from a store that kept them as one record: the next snapshot of changes must hold every user and item.</summary>
    public bool WriteAllNext { get; init; }

    /// <summary>Users with statistics in all (not only those in <see cref="Users"/>).</summary>
    public int TotalUsers { get; init; } = Users.Count;

    /// <summary>Items with statistics in all.</summary>
    public int TotalItems { get; init; } = Items.Count;
}

/// <summary>One user's running statistics.</summary>
public sealed record UserStatisticsEntry(string User, long Count, long FirstMs, long LastMs, long Purchases, double PurchaseTotal);

/// <summary>One item's running statistics.</summary>
public sealed record ItemStatisticsEntry(string Item, long Count, long LastMs);
