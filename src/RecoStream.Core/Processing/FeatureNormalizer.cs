using RecoStream.Core.Events;

namespace RecoStream.Core.Processing;

/// <summary>
/// The normalize stage: keeps running statistics per feature name and replaces each raw value with its
/// z-score (x - mean) / stddev, computed after the value itself is added, and clipped. A feature with no
/// spread yet normalizes to 0. Its statistics are part of the checkpoint.
/// </summary>
public sealed class FeatureNormalizer
{
    private readonly FeatureOptions _options;
    private readonly Dictionary<string, int> _slots = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    private RunningStatistics[] _stats = new RunningStatistics[16];

    public FeatureNormalizer(FeatureOptions options)
    {
        _options = options;
    }

    /// <summary>Feature values seen with a new name after <see cref="FeatureOptions.MaxDistinctFeatures"/> was reached.</summary>
    public long IgnoredFeatures { get; private set; }

    /// <summary>How many distinct feature names are tracked.</summary>
    public int FeatureCount => _names.Count;

    /// <summary>Normalizes an event's features in place; passes other items through.</summary>
    public StreamItem Normalize(StreamItem item)
    {
        if (item.Kind == StreamItemKind.Event)
        {
            var e = item.Event!;
            for (var i = 0; i < e.FeatureNames.Length; i++)
            {
                e.FeatureValues[i] = NormalizeOne(e.FeatureNames[i], e.FeatureValues[i]);
            }
        }

        return item;
    }

    /// <summary>Adds a raw value to its feature's statistics and returns its normalized value (NaN when ignored).</summary>
    public double NormalizeOne(string name, double raw)
    {
        if (!_slots.TryGetValue(name, out var slot))
        {
            if (_names.Count >= _options.MaxDistinctFeatures)
            {
                IgnoredFeatures++;
                return double.NaN;
            }

            slot = _names.Count;
            _slots.Add(name, slot);
            _names.Add(name);
            if (slot == _stats.Length)
            {
                Array.Resize(ref _stats, _stats.Length * 2);
            }
        }

        ref var stats = ref _stats[slot];
        stats.Add(raw);
        if (!_options.Normalize)
        {
            return raw;
        }

        var variance = stats.Variance;
        if (variance <= 0.0)
        {
            return 0.0;
        }

        var z = (raw - stats.Mean) / Math.Sqrt(variance);
        return Math.Clamp(z, -_options.Clip, _options.Clip);
    }

    /// <summary>The statistics of one feature, if it is tracked.</summary>
    public bool TryGetStatistics(string name, out RunningStatistics statistics)
    {
        if (_slots.TryGetValue(name, out var slot))
        {
            statistics = _stats[slot];
            return true;
        }

        statistics = default;
        return false;
    }

    /// <summary>A copy of the state for a checkpoint.</summary>
    public NormalizerSnapshot Snapshot()
    {
        var entries = new FeatureStatisticsEntry[_names.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new FeatureStatisticsEntry(_names[i], _stats[i].Count, _stats[i].Mean, _stats[i].M2);
        }

        return new NormalizerSnapshot(entries, IgnoredFeatures);
    }

    /// <summary>Replaces the state with a checkpoint's.</summary>
    public void Restore(NormalizerSnapshot snapshot)
    {
        _slots.Clear();
        _names.Clear();
        _stats = new RunningStatistics[Math.Max(16, snapshot.Features.Count)];
        foreach (var entry in snapshot.Features)
        {
            _slots.Add(entry.Name, _names.Count);
            _stats[_names.Count] = new RunningStatistics(entry.Count, entry.Mean, entry.M2);
            _names.Add(entry.Name);
        }

        IgnoredFeatures = snapshot.IgnoredFeatures;
    }
}
