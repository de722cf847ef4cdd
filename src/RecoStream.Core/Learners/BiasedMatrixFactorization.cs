using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Numerics.Tensors;
using RecoStream.Core.Events;

namespace RecoStream.Core.Learners;

/// <summary>
/// Biased matrix factorization for explicit ratings: r(u, i) = mu + b_u + s_u(t) + b_i + p_u . q_i, learned one rating
/// at a time by SGD with L2 regularization and per-parameter AdaGrad step sizes (large steps for new users and
/// items, smaller as evidence accumulates, which is what a single pass over a stream needs). mu is the running
/// mean rating. s_u(t) is the user's session bias: how much higher or lower than usual the user rates in the current
/// sitting, learned like b_u but fading (with its AdaGrad accumulator) by exp(-dt / T) over the event time dt since the
/// user's previous rating, so it starts afresh in each session (kept in the user row's extra columns). Users and items
/// are added on the fly, keyed by their real ids; an unknown user or item contributes no bias and no factors, so cold
/// start falls back to the biases (and to popularity in the recommender).
/// </summary>
public sealed class BiasedMatrixFactorization : IOnlineLearner, ICatalogRanker
{
    /// <summary>The <see cref="Kind"/> of this learner.</summary>
    public const string KindName = "BiasedMF";

    // 3: the user rows carry the session bias and its accumulator (a version 2 snapshot is read with both at zero).
    private const int SnapshotVersion = 3;
    private const int SessionColumns = 2;

    private readonly BiasedMatrixFactorizationOptions _options;
    private readonly int _rank;
    private readonly float _lr;
    private readonly float _reg;
    private readonly float _biasLr;
    private readonly float _biasReg;
    private readonly float _epsilon;
    private readonly double _sessionMs;
    private readonly float _sessionLr;
    private readonly float _sessionReg;
    private readonly FactorTable _users;
    private readonly FactorTable _items;
    private readonly Action<string, Span<float>> _initialiseUser;
    private readonly Action<string, Span<float>> _initialiseItem;
    private double _mean;
    private long _count;
    private long _clockMs;

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
        _sessionMs = options.SessionBiasSeconds * 1000;
        _sessionLr = (float)options.SessionBiasLearningRate;
        _sessionReg = (float)options.SessionBiasRegularization;
        options.Rows.Validate(name);
        // The session columns are there whether or not the session bias is on, so a store reads either way.
        _users = new FactorTable(_rank, "user", options.Rows, extras: SessionColumns);
        _items = new FactorTable(_rank, "item", options.Rows);
        _initialiseUser = FactorInitializer.For(FeatureHasher.UserNamespace, options.Seed, options.InitialStd);
        _initialiseItem = FactorInitializer.For(FeatureHasher.ItemNamespace, options.Seed, options.InitialStd);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string Kind => KindName;

    /// <inheritdoc />
    /// <remarks>False: the factors of the user and the item are all it reads.</remarks>
    public bool ReadsFeatures => false;

    /// <inheritdoc />
    public LearnerObjective Objective => LearnerObjective.Regression;

    /// <summary>The running mean rating mu.</summary>
    public double GlobalMean => _count == 0 ? Midpoint : _mean;

    private double Midpoint => (_options.MinRating + _options.MaxRating) / 2;

    /// <inheritdoc />
    public bool Learns(UserEvent e) => e.Type == EventType.Rating;

    /// <inheritdoc />
    public double Predict(UserEvent e) => Clip(Raw(e.User, e.Item, e.TimestampMs));

    /// <inheritdoc />
    /// <remarks>The session bias as it stands at the newest event time the learner has learned from.</remarks>
    public double ScoreItem(string user, string item) => Clip(Raw(user, item, _clockMs));

    /// <inheritdoc />
    public double Learn(UserEvent e, double label)
    {
        // Predict with the rows looked up once (as Raw does), then add the rows of a new user or item. The session's fade
        // and the factors' dot product are computed once for both the prediction and the error (neither changes between).
        var knownUser = _users.TryGetRow(e.User, out var u);
        var knownItem = _items.TryGetRow(e.Item, out var i);
        var fade = knownUser ? SessionFade(u, e.TimestampMs) : 0f;
        var known = knownUser && knownItem;
        var dot = known ? TensorPrimitives.Dot((ReadOnlySpan<float>)_users.Factors(u), _items.Factors(i)) : 0f;
        var prediction = Clip(Raw(knownUser, u, knownItem, i, fade, dot));
        u = knownUser ? _users.Update(u, e.TimestampMs) : _users.Add(e.User, _initialiseUser, _epsilon, e.TimestampMs);
        i = knownItem ? _items.Update(i, e.TimestampMs) : _items.Add(e.Item, _initialiseItem, _epsilon, e.TimestampMs);

        _count++;
        _mean += (label - _mean) / _count;
        _clockMs = Math.Max(_clockMs, e.TimestampMs);

        var p = _users.Factors(u);
        var q = _items.Factors(i);
        ref var bu = ref _users.Bias(u);
        ref var bi = ref _items.Bias(i);
        var session = _users.Extras(u);
        var bs = session[0] * fade;
        var error = (float)(label - (_mean + bu + bs + bi + (known ? dot : TensorPrimitives.Dot(p, q))));

        var g = -error + _biasReg * bu;
        ref var gbu = ref _users.BiasSquares(u);
        gbu += g * g;
        bu -= _biasLr * g / MathF.Sqrt(gbu);
        g = -error + _biasReg * bi;
        ref var gbi = ref _items.BiasSquares(i);
        gbi += g * g;
        bi -= _biasLr * g / MathF.Sqrt(gbi);
        if (_sessionMs > 0)
        {
            // The accumulator fades with the bias, so a new session starts with large steps again.
            g = -error + _sessionReg * bs;
            var gbs = (session[1] * fade) + (g * g);
            session[0] = bs - (_sessionLr * g / MathF.Sqrt(_epsilon + gbs));
            session[1] = gbs;
        }

        AdaGradStep(p, q, _users.FactorSquares(u), _items.FactorSquares(i), error);
        return prediction;
    }

    /// <summary>
    /// The AdaGrad step of both factor rows, several factors at a time with SIMD; each lane does exactly the scalar
    /// operations in the same order, so the result is the same to the bit on any vector width.
    /// </summary>
    private void AdaGradStep(Span<float> p, Span<float> q, Span<float> gp, Span<float> gq, float error)
    {
        var f = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var minusError = new Vector<float>(-error);
            var reg = new Vector<float>(_reg);
            var lr = new Vector<float>(_lr);
            var epsilon = new Vector<float>(_epsilon);
            for (; f <= p.Length - Vector<float>.Count; f += Vector<float>.Count)
            {
                var pf = new Vector<float>(p[f..]);
                var qf = new Vector<float>(q[f..]);
                var gu = minusError * qf + reg * pf;
                var gpf = new Vector<float>(gp[f..]) + gu * gu;
                var gi = minusError * pf + reg * qf;
                var gqf = new Vector<float>(gq[f..]) + gi * gi;
                gpf.CopyTo(gp[f..]);
                gqf.CopyTo(gq[f..]);
                (pf - lr * gu / Vector.SquareRoot(gpf + epsilon)).CopyTo(p[f..]);
                (qf - lr * gi / Vector.SquareRoot(gqf + epsilon)).CopyTo(q[f..]);
            }
        }

        for (; f < p.Length; f++)
        {
            var pf = p[f];
            var gu = -error * q[f] + _reg * pf;
            gp[f] += gu * gu;
            p[f] = pf - _lr * gu / MathF.Sqrt(gp[f] + _epsilon);
            var gi = -error * pf + _reg * q[f];
            gq[f] += gi * gi;
            q[f] -= _lr * gi / MathF.Sqrt(gq[f] + _epsilon);
        }
    }

    /// <inheritdoc />
    public void ScoreItems(string user, IReadOnlyList<string> items, Span<float> scores)
    {
        var known = _users.TryGetRow(user, out var u);
        var p = known ? _users.Factors(u) : default;
        var baseScore = known ? BaseScore(u) : (float)GlobalMean;
        // Unclipped: clipping would tie every item predicted above the top of the scale.
        _items.ScoreCatalog(items, p, baseScore, withBias: true, missing: baseScore, scores);
    }

    /// <inheritdoc />
    public bool TryRankItems(string user, IReadOnlyList<string> items, int k, IReadOnlySet<int> excluded,
        [NotNullWhen(true)] out List<(int Index, float Score)>? top)
    {
        top = null;
        if (!_users.TryGetRow(user, out var u))
        {
            return false;
        }

        var baseScore = BaseScore(u);
        return _items.TryRankCatalog(items, _users, u, baseScore, withBias: true, missing: baseScore, k, excluded, out top);
    }

    /// <inheritdoc />
    public void ScoreItems(IReadOnlyList<string> users, IReadOnlyList<string> items, Span<float> scores)
    {
        // Each user's factors and base score are taken as soon as it is looked up: over a store, looking up the next may
        // evict a row. A user without a row is scored on its own (biases only).
        var factors = new float[users.Count * _rank];
        var baseScores = new float[users.Count];
        var outputs = new int[users.Count];
        var known = 0;
        for (var u = 0; u < users.Count; u++)
        {
            if (_users.TryGetRow(users[u], out var row))
            {
                _users.Factors(row).CopyTo(factors.AsSpan(known * _rank));
                baseScores[known] = BaseScore(row);
                outputs[known++] = u;
            }
            else
            {
                ScoreItems(users[u], items, scores.Slice(u * items.Count, items.Count));
            }
        }

        _items.ScoreCatalog(items, factors, baseScores.AsSpan(0, known), withBias: true, missing: baseScores, outputs.AsSpan(0, known), scores);
    }

    /// <inheritdoc />
    public LearnerSnapshot Snapshot() => Copy(changesOnly: false);

    /// <inheritdoc />
    public LearnerSnapshot SnapshotChanges() => Copy(changesOnly: true);

    /// <inheritdoc />
    public void AttachRowStore(IRowStore store)
    {
        _users.AttachStore(store);
        _items.AttachStore(store);
    }

    /// <inheritdoc />
    public IReadOnlyList<RowTableStatistics> RowTables => [_users.Statistics, _items.Statistics];

    private LearnerSnapshot Copy(bool changesOnly)
    {
        var snapshot = new LearnerSnapshot(KindName, SnapshotVersion)
        {
            Doubles = { ["mean"] = [_mean] },
            Longs = { ["count"] = [_count], ["clock"] = [_clockMs] },
        };
        FactorTable.WritePair(snapshot, _users, _items, changesOnly);
        return snapshot;
    }

    /// <inheritdoc />
    public void Restore(LearnerSnapshot snapshot)
    {
        FactorTable.ReadPair(snapshot, _users, _items, Name);
        _mean = snapshot.Require(snapshot.Doubles, "mean")[0];
        _count = snapshot.Require(snapshot.Longs, "count")[0];
        // Written since version 3; before, the newest update of a row in memory is the best there is.
        _clockMs = snapshot.Longs.TryGetValue("clock", out var clock) && clock.Length == 1 ? clock[0] : _users.NewestMs;
    }

    private double Raw(string user, string item, long timeMs) =>
        Raw(_users.TryGetRow(user, out var u), u, _items.TryGetRow(item, out var i), i, timeMs);

    /// <summary>The unclipped prediction at event time <paramref name="timeMs"/> from rows already looked up (a row that is not known counts as zero).</summary>
    private double Raw(bool knownUser, int u, bool knownItem, int i, long timeMs) =>
        Raw(knownUser, u, knownItem, i, knownUser ? SessionFade(u, timeMs) : 0f,
            knownUser && knownItem ? TensorPrimitives.Dot((ReadOnlySpan<float>)_users.Factors(u), _items.Factors(i)) : 0f);

    /// <summary>
    /// <see cref="Raw(bool, int, bool, int, long)"/> with the user's session fade at that time and the factors' dot
    /// product already computed (each used only when its rows are known).
    /// </summary>
    private double Raw(bool knownUser, int u, bool knownItem, int i, float fade, float dot)
    {
        var raw = GlobalMean;
        if (knownUser)
        {
            raw += _users.Bias(u) + (_sessionMs > 0 ? _users.Extras(u)[0] * fade : 0f);
        }

        if (knownItem)
        {
            raw += _items.Bias(i);
        }

        if (knownUser && knownItem)
        {
            raw += dot;
        }

        return raw;
    }

    /// <summary>A known user's part of every item's score: mu + b_u + the session bias at the newest event time learned.</summary>
    private float BaseScore(int u) => (float)GlobalMean + (_users.Bias(u) + SessionBias(u, _clockMs));

    /// <summary>The user's session bias as it stands at <paramref name="timeMs"/>.</summary>
    private float SessionBias(int u, long timeMs) => _sessionMs > 0 ? _users.Extras(u)[0] * SessionFade(u, timeMs) : 0f;

    /// <summary>
    /// How much of the user's session bias is left at <paramref name="timeMs"/>: exp(-dt / T) over the event time since the
    /// user's last rating (1 for an event that is not later than it, 0 with the session bias off).
    /// </summary>
    private float SessionFade(int u, long timeMs)
    {
        if (_sessionMs <= 0)
        {
            return 0f;
        }

        var elapsed = timeMs - _users.LastActiveMs(u);
        return elapsed <= 0 ? 1f : (float)Math.Exp(-elapsed / _sessionMs);
    }

    private double Clip(double value) => Math.Clamp(value, _options.MinRating, _options.MaxRating);
}
