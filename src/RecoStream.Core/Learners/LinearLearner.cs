using RecoStream.Core.Events;

namespace RecoStream.Core.Learners;

/// <summary>
/// The textbook incremental learner: score = w . x over hashed features (a bias, the user id, the item id
/// and the normalized numeric event features), squared loss, and per event the gradient step
/// w &lt;- w - eta * ((prediction - label) * x + L2 * w), with eta constant, eta / sqrt(t), or per coordinate
/// eta / sqrt(sum of its squared gradients) (AdaGrad).
/// </summary>
public sealed class LinearLearner : IOnlineLearner, IHashedLearner
{
    /// <summary>The <see cref="Kind"/> of this learner.</summary>
    public const string KindName = "Linear";

    private const int SnapshotVersion = 1;

    private readonly int _bits;
    private readonly float _eta;
    private readonly LinearLearnerOptions _options;
    private float[]? _squares;
    private long _updates;
    private readonly int _biasSlot;
    private readonly int[] _behaviourSlots;
    private readonly SparseFeatures _x = new();
    private readonly List<int> _itemSlots = [];
    private float[] _weights;

    public LinearLearner(LinearLearnerOptions options, string name = "linear")
    {
        Name = name;
        _bits = options.HashBits;
        _eta = (float)options.LearningRate;
        _options = options;
        _weights = new float[1 << _bits];
        _squares = options.AdaGrad ? new float[1 << _bits] : null;
        _biasSlot = FeatureHasher.Slot(FeatureHasher.BiasNamespace, "bias", _bits);
        _behaviourSlots = SparseFeatures.BehaviourSlots(_bits);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int HashBits => _bits;

    /// <inheritdoc />
    public string Kind => KindName;

    /// <inheritdoc />
    public LearnerObjective Objective => LearnerObjective.Regression;

    /// <inheritdoc />
    public bool Learns(UserEvent e) => true;

    /// <summary>The weight table (read-only view, for tests and diagnostics).</summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <inheritdoc />
    public double Predict(UserEvent e)
    {
        Featurize(e, _x);
        return Dot(_x);
    }

    /// <inheritdoc />
    public double Learn(UserEvent e, double label)
    {
        Featurize(e, _x);
        return Step(_x, label);
    }

    /// <summary>One squared-loss gradient step on an already featurized example; returns the prediction before it.</summary>
    public double Step(SparseFeatures x, double label)
    {
        var prediction = Dot(x);
        var error = (float)(prediction - label);
        _updates++;
        var eta = _options.Schedule == LearningRateSchedule.InverseSqrt ? _eta / MathF.Sqrt(_updates) : _eta;
        var l2 = (float)_options.L2;
        var slots = x.Slots;
        var values = x.Values;
        for (var i = 0; i < slots.Length; i++)
        {
            var slot = slots[i];
            var gradient = error * values[i] + l2 * _weights[slot];
            if (_squares is null)
            {
                _weights[slot] -= eta * gradient;
            }
            else
            {
                _squares[slot] += gradient * gradient;
                _weights[slot] -= eta * gradient / MathF.Sqrt(_squares[slot] + 1e-6f);
            }
        }

        return prediction;
    }

    /// <summary>w . x in double precision.</summary>
    public double Dot(SparseFeatures x)
    {
        var slots = x.Slots;
        var values = x.Values;
        var sum = 0.0;
        for (var i = 0; i < slots.Length; i++)
        {
            sum += (double)_weights[slots[i]] * values[i];
        }

        return sum;
    }

    /// <summary>Writes an event's hashed features into <paramref name="x"/>; features ignored by the normalizer (NaN) are left out.</summary>
    public void Featurize(UserEvent e, SparseFeatures x) => x.SetHashed(e, _bits, _biasSlot, _behaviourSlots);

    /// <inheritdoc />
    public void ScoreItems(string user, IReadOnlyList<string> items, Span<float> scores)
    {
        for (var i = _itemSlots.Count; i < items.Count; i++)
        {
            _itemSlots.Add(FeatureHasher.Slot(FeatureHasher.ItemNamespace, items[i], _bits));
        }

        var baseScore = _weights[_biasSlot] + _weights[FeatureHasher.Slot(FeatureHasher.UserNamespace, user, _bits)];
        for (var i = 0; i < items.Count; i++)
        {
            scores[i] = baseScore + _weights[_itemSlots[i]];
        }
    }

    /// <inheritdoc />
    public double ScoreItem(string user, string item) =>
        (double)_weights[_biasSlot]
        + _weights[FeatureHasher.Slot(FeatureHasher.UserNamespace, user, _bits)]
        + _weights[FeatureHasher.Slot(FeatureHasher.ItemNamespace, item, _bits)];

    /// <inheritdoc />
    public LearnerSnapshot Snapshot()
    {
        var snapshot = new LearnerSnapshot(KindName, SnapshotVersion)
        {
            Floats = { ["weights"] = SnapshotArrays.CopyOf(_weights) },
            Longs = { ["hashBits"] = [_bits], ["updates"] = [_updates] },
        };
        if (_squares is not null)
        {
            snapshot.Floats["squares"] = SnapshotArrays.CopyOf(_squares);
            snapshot.OptimizerState.Add("squares");
        }

        return snapshot;
    }

    /// <inheritdoc />
    public void Restore(LearnerSnapshot snapshot)
    {
        var bits = snapshot.Require(snapshot.Longs, "hashBits")[0];
        var weights = snapshot.Require(snapshot.Floats, "weights");
        if (bits != _bits || weights.Length != 1 << _bits)
        {
            throw new InvalidOperationException(
                $"the stored linear learner '{Name}' has {bits} hash bits but RecoStream:Learners:{Name}:HashBits is {_bits}; " +
                "use the stored value or start on a new store");
        }

        _weights = (float[])weights.Clone();
        _updates = snapshot.Longs.TryGetValue("updates", out var updates) ? updates[0] : 0;
        if (_squares is not null)
        {
            // Switching AdaGrad on for a stored model starts its accumulators at zero.
            _squares = snapshot.Floats.TryGetValue("squares", out var squares) && squares.Length == _weights.Length
                ? (float[])squares.Clone()
                : new float[_weights.Length];
        }
    }
}
