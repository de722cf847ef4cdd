using RecoStream.Core.Events;

namespace RecoStream.Bench;

/// <summary>
/// The baseline: the same rules written the obvious way. String keys for duplicates and per-second rates, a class per
/// user and item, and a new feature dictionary per event that normalization fills.
/// </summary>
internal sealed class NaivePreprocessing
{
    private readonly Dictionary<string, long> _seen = [];
    private readonly Dictionary<string, int> _perSecond = [];
    private readonly Dictionary<string, UserStats> _users = [];
    private readonly Dictionary<string, ItemStats> _items = [];
    private readonly Dictionary<string, (long N, double Mean, double M2)> _stats = [];
    private long _newest;

    public Dictionary<string, double>? Process(UserEvent e)
    {
        if (e.TimestampMs > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 3_600_000 || e.TimestampMs < _newest - 300_000)
        {
            return null;
        }

        var key = $"{e.User}|{e.Item}|{e.Type}|{e.TimestampMs}";
        if (!_seen.TryAdd(key, e.TimestampMs))
        {
            return null;
        }

        if (_seen.Count > 200_000)
        {
            foreach (var old in _seen.Where(p => p.Value < _newest - 300_000).Select(p => p.Key).ToList())
            {
                _seen.Remove(old);
            }
        }

        var second = $"{e.User}@{e.TimestampMs / 1000}";
        _perSecond[second] = _perSecond.GetValueOrDefault(second) + 1;
        if (_perSecond[second] > 20)
        {
            return null;
        }

        if (_perSecond.Count > 200_000)
        {
            _perSecond.Clear();
        }

        _newest = Math.Max(_newest, e.TimestampMs);
        var features = new Dictionary<string, double>();
        for (var i = 0; i < e.FeatureNames.Length; i++)
        {
            features[e.FeatureNames[i]] = e.FeatureValues[i];
        }

        if (!_users.TryGetValue(e.User, out var user))
        {
            _users[e.User] = user = new UserStats { First = e.TimestampMs, Last = e.TimestampMs };
        }

        if (!_items.TryGetValue(e.Item, out var item))
        {
            _items[e.Item] = item = new ItemStats { Last = e.TimestampMs };
        }

        features["user_events"] = Math.Log(1 + user.Count);
        features["user_events_per_day"] = Math.Log(1 + user.Count * 86_400_000.0 / Math.Max(user.Last - user.First, 3_600_000));
        features["user_recency_s"] = Math.Log(1 + (e.TimestampMs - user.Last) / 1000.0);
        features["user_mean_purchase"] = Math.Log(1 + (user.Purchases > 0 ? user.Spent / user.Purchases : 0));
        features["item_events"] = Math.Log(1 + item.Count);
        features["item_recency_s"] = Math.Log(1 + (e.TimestampMs - item.Last) / 1000.0);
        user.Count++;
        user.Last = e.TimestampMs;
        item.Count++;
        item.Last = e.TimestampMs;
        if (e.Type == EventType.Purchase && e.Value is { } amount)
        {
            user.Purchases++;
            user.Spent += amount;
        }

        foreach (var name in features.Keys.ToList())
        {
            var (n, mean, m2) = _stats.GetValueOrDefault(name);
            var x = features[name];
            n++;
            var delta = x - mean;
            mean += delta / n;
            m2 += delta * (x - mean);
            _stats[name] = (n, mean, m2);
            features[name] = m2 > 0 ? Math.Clamp((x - mean) / Math.Sqrt(m2 / n), -5, 5) : 0;
        }

        return features;
    }

    private sealed class UserStats
    {
        public long Count;
        public long First;
        public long Last;
        public long Purchases;
        public double Spent;
    }

    private sealed class ItemStats
    {
        public long Count;
        public long Last;
    }
}
