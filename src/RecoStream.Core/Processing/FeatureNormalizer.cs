using RecoStream.Core.Events;

namespace RecoStream.Core.Processing;

/// <summary>
/// The normalize stage: keeps running statistics per feature name and replaces each raw value with its normalized value
/// in the feature's mode (<see cref="NormalizationMode"/>), computed after the value itself is added. A feature with no
/// spread yet normalizes to 0. Event features and the behaviour features are normalized alike. Its statistics are part of
/// the checkpoint, so a restarted worker normalizes the next event exactly as the stopped one would have.
/// </summary>
public sealed class FeatureNormalizer
{
    // log(1 + n) of the whole numbers below 4,096, by Math.Log itself (see Log1p).
    private static readonly double[] Log1pOfWhole = [.. Enumerable.Range(0, 4096).Select(n => Math.Log(1.0 + n))];

    private readonly FeatureOptions _options;
    private readonly Dictionary<string, int> _slots = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    private readonly int[] _behaviourSlots = new int[BehaviourVector.Count];
    private RunningStatistics[] _stats = new RunningStatistics[16];
    private NormalizationMode[] _modes = new NormalizationMode[16];
    private int _builtIn;

    public FeatureNormalizer(FeatureOptions options)
    {
        _options = options;
        ResolveBehaviourSlots();
    }

    /// <summary>Feature values seen with a new name after <see cref="FeatureOptions.MaxDistinctFeatures"/> was reached.</summary>
    public long IgnoredFeatures { get; private set; }

    /// <summary>How many distinct feature names are tracked (the behaviour features included; they do not count towards the limit).</summary>
    public int FeatureCount => _names.Count;

    /// <summary>Whether a learner reads the features (see <see cref="Preprocessing.FeaturesRead"/>); when not, events pass unchanged.</summary>
    public bool FeaturesRead { get; set; } = true;

    /// <summary>Normalizes an event's features (and its behaviour features) in place; passes other items through.</summary>
    public StreamItem Normalize(StreamItem item)
    {
        if (item.Kind == StreamItemKind.Event && FeaturesRead)
        {
            var e = item.Event!;
            for (var i = 0; i < e.FeatureNames.Length; i++)
            {
                e.FeatureValues[i] = NormalizeOne(e.FeatureNames[i], e.FeatureValues[i]);
            }

            if (e.HasBehaviour)
            {
                ref var behaviour = ref e.Behaviour;
                for (var i = 0; i < BehaviourVector.Count; i++)
                {
                    behaviour[i] = NormalizeSlot(_behaviourSlots[i], behaviour[i]);
                }
            }
        }

        return item;
    }

    /// <summary>Adds a raw value to its feature's statistics and returns its normalized value (NaN when ignored).</summary>
    public double NormalizeOne(string name, double raw)
    {
        if (!_slots.TryGetValue(name, out var slot))
        {
            slot = AddSlot(name);
            if (slot < 0)
            {
                IgnoredFeatures++;
                return double.NaN;
            }
        }

        return NormalizeSlot(slot, raw);
    }

    /// <summary>The mode a feature of this name is normalized in.</summary>
    public NormalizationMode ModeOf(string name)
    {
        if (!_options.Normalize)
        {
            return NormalizationMode.None;
        }

        if (_options.Modes.TryGetValue(name, out var mode))
        {
            return mode;
        }

        return BehaviourVector.Names.Contains(name) ? NormalizationMode.Log1pZScore : _options.DefaultMode;
    }

    /// <summary>The statistics of one feature, if it is tracked (of the logged values in the log1p modes).</summary>
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
            ref var s = ref _stats[i];
            entries[i] = new FeatureStatisticsEntry(_names[i], s.Count, s.Mean, s.M2, s.Min, s.Max, _modes[i]);
        }

        return new NormalizerSnapshot(entries, IgnoredFeatures);
    }

    /// <summary>
    /// Replaces the state with a checkpoint's. A feature whose configured mode differs from the stored one starts its
    /// statistics afresh (they were kept over differently transformed values).
    /// </summary>
    public void Restore(NormalizerSnapshot snapshot)
    {
        _slots.Clear();
        _names.Clear();
        _builtIn = 0;
        var capacity = Math.Max(16, snapshot.Features.Count + BehaviourVector.Count);
        _stats = new RunningStatistics[capacity];
        _modes = new NormalizationMode[capacity];
        foreach (var entry in snapshot.Features)
        {
            var slot = _names.Count;
            _slots.Add(entry.Name, slot);
            _names.Add(entry.Name);
            _builtIn += BehaviourVector.Names.Contains(entry.Name) ? 1 : 0;
            _modes[slot] = ModeOf(entry.Name);
            _stats[slot] = entry.Mode is { } stored && stored != _modes[slot]
                ? default
                : new RunningStatistics(entry.Count, entry.Mean, entry.M2, entry.Min, entry.Max);
        }

        IgnoredFeatures = snapshot.IgnoredFeatures;
        ResolveBehaviourSlots();
    }

    private double NormalizeSlot(int slot, double raw)
    {
        if (slot < 0)
        {
            return double.NaN;
        }

        var mode = _modes[slot];
        var x = mode is NormalizationMode.Log1p or NormalizationMode.Log1pZScore ? Math.CopySign(Log1p(Math.Abs(raw)), raw) : raw;
        ref var stats = ref _stats[slot];
        stats.Add(x);
        switch (mode)
        {
            case NormalizationMode.None:
            case NormalizationMode.Log1p:
                return x;
            case NormalizationMode.MinMax:
                var range = stats.Max - stats.Min;
                return range > 0.0 ? (x - stats.Min) / range : 0.0;
            default:
                var variance = stats.Variance;
                if (variance <= 0.0)
                {
                    return 0.0;
                }

                var z = (x - stats.Mean) / Math.Sqrt(variance);
                return Math.Clamp(z, -_options.Clip, _options.Clip);
        }
    }

    /// <summary>
    /// log(1 + a) for a &gt;= 0. Most behaviour features are counts, so the whole numbers below 4,096 are looked up in a
    /// table filled by the same <see cref="Math.Log(double)"/> call: the same value to the bit, without the call.
    /// </summary>
    internal static double Log1p(double a)
    {
        if (a < Log1pOfWhole.Length)
        {
            var n = (int)a;
            if (n == a)
            {
                return Log1pOfWhole[n];
            }
        }

        return Math.Log(1.0 + a);
    }

    private int AddSlot(string name)
    {
        var builtIn = BehaviourVector.Names.Contains(name);
        if (!builtIn && _names.Count - _builtIn >= _options.MaxDistinctFeatures)
        {
            return -1;
        }

        var slot = _names.Count;
        _slots.Add(name, slot);
        _names.Add(name);
        if (slot == _stats.Length)
        {
            Array.Resize(ref _stats, _stats.Length * 2);
            Array.Resize(ref _modes, _modes.Length * 2);
        }

        _stats[slot] = default;
        _modes[slot] = ModeOf(name);
        _builtIn += builtIn ? 1 : 0;
        return slot;
    }

    private void ResolveBehaviourSlots()
    {
        for (var i = 0; i < BehaviourVector.Count; i++)
        {
            var name = BehaviourVector.Names[i];
            _behaviourSlots[i] = !_options.Behaviour ? -1 : _slots.TryGetValue(name, out var slot) ? slot : AddSlot(name);
        }
    }
}
