using System.Numerics.Tensors;
using RecoStream.Core.Events;

namespace RecoStream.Core.Learners;

/// <summary>
/// Biased matrix factorization for explicit ratings: r(u, i) = mu + b_u + b_i + p_u . q_i, learned one rating at
/// a time by SGD with L2 regularization and per-parameter AdaGrad step sizes (large steps for new users and
/// items, smaller as evidence accumulates, which is what a single pass over a stream needs). mu is the running
/// mean rating. Users and items are added on the fly, keyed by their real ids; an unknown user or item
/// contributes no bias and no factors, so cold start falls back to the biases (and to popularity in the recommender).
/// </summary>
public sealed class BiasedMatrixFactorization : IOnlineLearner
{
    /// <summary>The <see cref="Kind"/> of this learner.</summary>
    public const string KindName = "BiasedMF";

    private const int SnapshotVersion = 1;

    private readonly BiasedMatrixFactorizationOptions _options;
    private readonly int _rank;
    private readonly float _lr;
    private readonly float _reg;
    private readonly float _biasLr;
    private readonly float _biasReg;
    private readonly float _epsilon;
    private readonly FactorTable _users;
    private readonly FactorTable _items;
    private readonly Action<string, Span<float>> _initialiseUser;
    private readonly Action<string, Span<float>> _initialiseItem;
    private double _mean;
    private long _count;

    public BiasedMatrixFactorization(BiasedMatrixFactorizationOptions options, string name = "mf")
    {
        Name = name;
        _options = options;
        _rank = options.Rank;
        _lr = (float)options.LearningRate;
        _reg = (float)options.Regularization;
        _biasLr = (float)options.BiasLearningRate;
        _biasReg = (float)options.BiasRegularization;
        _epsilon = (float)options.AdaGradEpsilon;
        _users = new FactorTable(_rank);
        _items = new FactorTable(_rank);
        _initialiseUser = FactorInitializer.For(FeatureHasher.UserNamespace, options.Seed, options.InitialStd);
        _initialiseItem = FactorInitializer.For(FeatureHasher.ItemNamespace, options.Seed, options.InitialStd);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string Kind => KindName;

    /// <inheritdoc />
    public LearnerObjective Objective => LearnerObjective.Regression;

    /// <summary>The running mean rating mu.</summary>
    public double GlobalMean => _count == 0 ? Midpoint : _mean;

    private double Midpoint => (_options.MinRating + _options.MaxRating) / 2;

    /// <inheritdoc />
    public bool Learns(UserEvent e) => e.Type == EventType.Rating;

    /// <inheritdoc />
    public double Predict(UserEvent e) => Clip(Raw(e.User, e.Item));

    /// <inheritdoc />
    public double ScoreItem(string user, string item) => Clip(Raw(user, item));

    /// <inheritdoc />
    public double Learn(UserEvent e, double label)
    {
        var prediction = Predict(e);
        var u = _users.GetOrAdd(e.User, _initialiseUser, _epsilon);
        var i = _items.GetOrAdd(e.Item, _initialiseItem, _epsilon);
        _count++;
        _mean += (label - _mean) / _count;

        var p = _users.Factors(u);
        var q = _items.Factors(i);
        ref var bu = ref _users.Bias(u);
        ref var bi = ref _items.Bias(i);
        var error = (float)(label - (_mean + bu + bi + TensorPrimitives.Dot(p, q)));

        var g = -error + _biasReg * bu;
        ref var gbu = ref _users.BiasSquares(u);
        gbu += g * g;
        bu -= _biasLr * g / MathF.Sqrt(gbu);
        g = -error + _biasReg * bi;
        ref var gbi = ref _items.BiasSquares(i);
        gbi += g * g;
        bi -= _biasLr * g / MathF.Sqrt(gbi);

        var gp = _users.FactorSquares(u);
        var gq = _items.FactorSquares(i);
        for (var f = 0; f < p.Length; f++)
        {
            var pf = p[f];
            var gu = -error * q[f] + _reg * pf;
            gp[f] += gu * gu;
            p[f] = pf - _lr * gu / MathF.Sqrt(gp[f] + _epsilon);
            var gi = -error * pf + _reg * q[f];
            gq[f] += gi * gi;
            q[f] -= _lr * gi / MathF.Sqrt(gq[f] + _epsilon);
        }

        return prediction;
    }

    /// <inheritdoc />
    public void ScoreItems(string user, IReadOnlyList<string> items, Span<float> scores)
    {
        var known = _users.TryGetRow(user, out var u);
        var p = known ? _users.Factors(u) : default;
        var baseScore = (float)GlobalMean + (known ? _users.Bias(u) : 0f);
        for (var c = 0; c < items.Count; c++)
        {
            var row = _items.RowOfCatalogItem(items, c);
            // Unclipped: clipping would tie every item predicted above the top of the scale.
            scores[c] = row < 0 ? baseScore : baseScore + _items.Bias(row) + (known ? TensorPrimitives.Dot(p, _items.Factors(row)) : 0f);
        }
    }

    /// <inheritdoc />
    public LearnerSnapshot Snapshot()
    {
        var snapshot = new LearnerSnapshot(KindName, SnapshotVersion)
        {
            Doubles = { ["mean"] = [_mean] },
            Longs = { ["count"] = [_count] },
        };
        FactorTable.WritePair(snapshot, _users, _items);
        return snapshot;
    }

    /// <inheritdoc />
    public void Restore(LearnerSnapshot snapshot)
    {
        FactorTable.ReadPair(snapshot, _users, _items, Name);
        _mean = snapshot.Require(snapshot.Doubles, "mean")[0];
        _count = snapshot.Require(snapshot.Longs, "count")[0];
    }

    private double Raw(string user, string item)
    {
        var raw = GlobalMean;
        var knownUser = _users.TryGetRow(user, out var u);
        var knownItem = _items.TryGetRow(item, out var i);
        if (knownUser)
        {
            raw += _users.Bias(u);
        }

        if (knownItem)
        {
            raw += _items.Bias(i);
        }

        if (knownUser && knownItem)
        {
            raw += TensorPrimitives.Dot((ReadOnlySpan<float>)_users.Factors(u), _items.Factors(i));
        }

        return raw;
    }

    private double Clip(double value) => Math.Clamp(value, _options.MinRating, _options.MaxRating);
}
