using RecoStream.Core.Events;

namespace RecoStream.Core.Learners;

/// <summary>
/// FTRL-Proximal logistic regression (McMahan et al., "Ad Click Prediction: a View from the Trenches", KDD 2013)
/// over hashed features (bias, user id, item id, normalized event features). Per coordinate it keeps z and n;
/// the weight is w = 0 when |z| &lt;= L1, else -(z - sign(z) L1) / ((beta + sqrt(n)) / alpha + L2). For each
/// example with probability p = sigmoid(w . x): g = (p - y) x, sigma = (sqrt(n + g^2) - sqrt(n)) / alpha,
/// z += g - sigma w, n += g^2. z and n are the model state: a restore continues exactly. Each coordinate's weight is
/// kept beside them, recomputed when its z and n change, so predicting and scoring a catalog read weights instead of
/// computing a square root and a division per coordinate (8 bytes more per coordinate).
/// </summary>
public sealed class FtrlProximal : IOnlineLearner, ILabelledLearner, IHashedLearner
{
    /// <summary>The <see cref="Kind"/> of this learner.</summary>
    public const string KindName = "Ftrl";

    private const int SnapshotVersion = 1;

    private readonly int _bits;
    private readonly double _alpha;
    private readonly double _beta;
    private readonly double _l1;
    private readonly double _l2;
    private readonly int _biasSlot;
    private readonly int[] _behaviourSlots;
    private readonly HashSet<EventType> _positive;
    private readonly HashSet<EventType> _negative;
    private readonly SparseFeatures _x = new();
    private readonly List<int> _itemSlots = [];
    private double[] _weights = new double[64];
    private float[] _z;
    private float[] _n;

    // The weight of each coordinate, from its current z and n (exactly what the formula gives: kept in double).
    private readonly double[] _w;

    public FtrlProximal(FtrlOptions options, string name = "ftrl")
    {
        Name = name;
        _bits = options.HashBits;
        _alpha = options.Alpha;
        _beta = options.Beta;
        _l1 = options.L1;
        _l2 = options.L2;
        _z = new float[1 << _bits];
        _n = new float[1 << _bits];
        _w = new double[1 << _bits];
        _biasSlot = FeatureHasher.Slot(FeatureHasher.BiasNamespace, "bias", _bits);
        _behaviourSlots = SparseFeatures.BehaviourSlots(_bits);
        _positive = ParseTypes(options.PositiveTypes);
        _negative = ParseTypes(options.NegativeTypes);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int HashBits => _bits;

    /// <inheritdoc />
    public string Kind => KindName;

    /// <inheritdoc />
    public LearnerObjective Objective => LearnerObjective.Classification;

    /// <inheritdoc />
    public bool Learns(UserEvent e) => _positive.Contains(e.Type) || _negative.Contains(e.Type);

    /// <inheritdoc />
    public bool IsPositive(UserEvent e) => _positive.Contains(e.Type);

    /// <summary>Coordinates whose weight is not zero (L1 keeps most at exactly zero).</summary>
    public int NonZeroWeights()
    {
        var count = 0;
        for (var i = 0; i < _z.Length; i++)
        {
            if (Math.Abs(_z[i]) > _l1)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The current weight of one coordinate.</summary>
    public double Weight(int slot) => _w[slot];

    /// <summary>The weight of a coordinate with these z and n.</summary>
    private double WeightOf(double z, double n) => Math.Abs(z) <= _l1 ? 0.0 : -(z - Math.Sign(z) * _l1) / ((_beta + Math.Sqrt(n)) / _alpha + _l2);

    /// <inheritdoc />
    public double Predict(UserEvent e)
    {
        _x.SetHashed(e, _bits, _biasSlot, _behaviourSlots);
        return Sigmoid(Logit(_x));
    }

    /// <inheritdoc />
    public double Learn(UserEvent e, double label)
    {
        _x.SetHashed(e, _bits, _biasSlot, _behaviourSlots);
        return Step(_x, IsPositive(e));
    }

    /// <summary>One FTRL-Proximal update on an already featurized example; returns the probability before it.</summary>
    public double Step(SparseFeatures x, bool positive)
    {
        var slots = x.Slots;
        var values = x.Values;
        if (_weights.Length < slots.Length)
        {
            _weights = new double[Math.Max(slots.Length, _weights.Length * 2)];
        }

        // Each coordinate's weight w_t is read once, for the prediction and for its update; a slot that occurs twice
        // (two features hashed together) uses w_t for both of its updates.
        var weights = _weights.AsSpan(0, slots.Length);
        var logit = 0.0;
        for (var k = 0; k < slots.Length; k++)
        {
            weights[k] = _w[slots[k]];
            logit += weights[k] * values[k];
        }

        var p = Sigmoid(logit);
        var y = positive ? 1.0 : 0.0;
        for (var k = 0; k < slots.Length; k++)
        {
            var i = slots[k];
            var w = weights[k];
            var g = (p - y) * values[k];
            var n = (double)_n[i];
            var sigma = (Math.Sqrt(n + g * g) - Math.Sqrt(n)) / _alpha;
            _z[i] = (float)(_z[i] + g - sigma * w);
            _n[i] = (float)(n + g * g);
            _w[i] = WeightOf(_z[i], _n[i]);
        }

        return p;
    }

    /// <inheritdoc />
    public void ScoreItems(string user, IReadOnlyList<string> items, Span<float> scores)
    {
        for (var i = _itemSlots.Count; i < items.Count; i++)
        {
            _itemSlots.Add(FeatureHasher.Slot(FeatureHasher.ItemNamespace, items[i], _bits));
        }

        // The logit orders items as the probability does, and costs no exp per item.
        var baseLogit = Weight(_biasSlot) + Weight(FeatureHasher.Slot(FeatureHasher.UserNamespace, user, _bits));
        for (var i = 0; i < items.Count; i++)
        {
            scores[i] = (float)(baseLogit + Weight(_itemSlots[i]));
        }
    }

    /// <inheritdoc />
    public double ScoreItem(string user, string item) => Sigmoid(
        Weight(_biasSlot)
        + Weight(FeatureHasher.Slot(FeatureHasher.UserNamespace, user, _bits))
        + Weight(FeatureHasher.Slot(FeatureHasher.ItemNamespace, item, _bits)));

    /// <inheritdoc />
    public LearnerSnapshot Snapshot() => new(KindName, SnapshotVersion)
    {
        Floats = { ["z"] = SnapshotArrays.CopyOf(_z), ["n"] = SnapshotArrays.CopyOf(_n) },
        Longs = { ["hashBits"] = [_bits] },
        OptimizerState = { "z", "n" },
    };

    /// <inheritdoc />
    public void Restore(LearnerSnapshot snapshot)
    {
        var bits = snapshot.Require(snapshot.Longs, "hashBits")[0];
        var z = snapshot.Require(snapshot.Floats, "z");
        var n = snapshot.Require(snapshot.Floats, "n");
        if (bits != _bits || z.Length != 1 << _bits || n.Length != z.Length)
        {
            throw new InvalidOperationException(
                $"the stored learner '{Name}' has {bits} hash bits but RecoStream:Learners:{Name}:HashBits is {_bits}; use the stored value or start on a new store");
        }

        _z = (float[])z.Clone();
        _n = (float[])n.Clone();
        for (var i = 0; i < _w.Length; i++)
        {
            _w[i] = WeightOf(_z[i], _n[i]);
        }
    }

    private double Logit(SparseFeatures x)
    {
        var sum = 0.0;
        var slots = x.Slots;
        var values = x.Values;
        for (var k = 0; k < slots.Length; k++)
        {
            sum += _w[slots[k]] * values[k];
        }

        return sum;
    }

    private static double Sigmoid(double logit) => 1.0 / (1.0 + Math.Exp(-Math.Clamp(logit, -35, 35)));

    private static HashSet<EventType> ParseTypes(string names)
    {
        var types = new HashSet<EventType>();
        foreach (var name in names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var type = EventTypeNames.Parse(System.Text.Encoding.UTF8.GetBytes(name));
            if (type == EventType.Unknown)
            {
                throw new ArgumentException($"'{name}' is not an event type (view, click, add_to_cart, purchase, rating)", nameof(names));
            }

            types.Add(type);
        }

        return types;
    }
}
