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

    public FeatureExtractor(FeatureOptions features, LabelOptions labels, EventClock clock)
    {
        _features = features;
        _labels = labels;
        _policy = new LabelPolicy(labels);
        _clock = clock;
    }

    /// <summary>Distinct user ids, item ids and categorical values seen (a sketch; the hashed learners' collision estimates use it).</summary>
    public KeySketch Keys { get; } = new();

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
        if (!_features.Behaviour)
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

        ref var itemStats = ref CollectionsMarshal.GetValueRefOrAddDefault(_items, e.ItemKey, out var knownItem);
        itemStats.Id ??= e.Item;
        behaviour[BehaviourVector.ItemEvents] = itemStats.Count;
        behaviour[BehaviourVector.ItemRecencySeconds] = knownItem ? Math.Max(0, ts - itemStats.LastMs) / 1000.0 : 0.0;
        itemStats.LastMs = knownItem ? Math.Max(itemStats.LastMs, ts) : ts;
        itemStats.Count++;
        e.HasBehaviour = true;
        if (!knownUser || !knownItem)
        {
            KeysDropped += OldestEntries.Trim(_users, _features.BehaviourMaxKeys, u => u.LastMs)
                           + OldestEntries.Trim(_items, _features.BehaviourMaxKeys, i => i.LastMs);
        }

        return item;
    }

    /// <summary>Users and items whose statistics were dropped to stay within <see cref="FeatureOptions.BehaviourMaxKeys"/>.</summary>
    public long KeysDropped { get; private set; }

    /// <summary>The running statistics, for a checkpoint.</summary>
    public BehaviourSnapshot Snapshot() => new(
        [.. _users.Values.Select(u => new UserStatisticsEntry(u.Id, u.Count, u.FirstMs, u.LastMs, u.Purchases, u.PurchaseTotal))],
        [.. _items.Values.Select(i => new ItemStatisticsEntry(i.Id, i.Count, i.LastMs))],
        Keys.Snapshot());

    /// <summary>Replaces the running statistics with a checkpoint's.</summary>
    public void Restore(BehaviourSnapshot snapshot)
    {
        _users.Clear();
        _items.Clear();
        foreach (var u in snapshot.Users)
        {
            _users[KeyHash.Of('u', u.User)] = new UserStatistics { Id = u.User, Count = u.Count, FirstMs = u.FirstMs, LastMs = u.LastMs, Purchases = u.Purchases, PurchaseTotal = u.PurchaseTotal };
        }

        foreach (var i in snapshot.Items)
        {
            _items[KeyHash.Of('i', i.Item)] = new ItemStatistics { Id = i.Item, Count = i.Count, LastMs = i.LastMs };
        }

        Keys.Restore(snapshot.KeySketch);
    }

    private struct UserStatistics
    {
        public string Id;
        public long Count;
        public long FirstMs;
        public long LastMs;
        public long Purchases;
        public double PurchaseTotal;
    }

    private struct ItemStatistics
    {
        public string Id;
        public long Count;
        public long LastMs;
    }
}

/// <summary>The feature stage's checkpointed state.</summary>
public sealed record BehaviourSnapshot(IReadOnlyList<UserStatisticsEntry> Users, IReadOnlyList<ItemStatisticsEntry> Items, byte[] KeySketch);

/// <summary>One user's running statistics.</summary>
public sealed record UserStatisticsEntry(string User, long Count, long FirstMs, long LastMs, long Purchases, double PurchaseTotal);

/// <summary>One item's running statistics.</summary>
public sealed record ItemStatisticsEntry(string Item, long Count, long LastMs);
