using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Numerics.Tensors;
using RecoStream.Core.Events;

namespace RecoStream.Core.Learners;

/// <summary>
/// Matrix factorization for positive-only feedback, learned incrementally in the manner of Vinagre, Jorge and
/// Gama (2014, "Fast incremental matrix factorization for recommendation with positive-only feedback"): each
/// positive (u, i) is a target of 1, err = 1 - p_u . q_i, and p_u += eta (err q_i - lambda p_u),
/// q_i += eta (err p_u - lambda q_i). The step is weighted by the event's strength (a view moves the factors
/// less than a purchase). Scores are p_u . q_i, for ranking only.
/// </summary>
public sealed class ImplicitMatrixFactorization : IOnlineLearner, ICatalogRanker
{
    /// <summary>The <see cref="Kind"/> of this learner.</summary>
    public const string KindName = "ImplicitMF";

    private const int SnapshotVersion = 2;

    private readonly ImplicitMatrixFactorizationOptions _options;
    private readonly int _rank;
    private readonly FactorTable _users;
    private readonly FactorTable _items;
    private readonly Action<string, Span<float>> _initialiseUser;
    private readonly Action<string, Span<float>> _initialiseItem;

    public ImplicitMatrixFactorization(ImplicitMatrixFactorizationOptions options, string name = "implicit")
    {
        Name = name;
        _options = options;
        _rank = options.Rank;
        options.Rows.Validate(name);
        _users = new FactorTable(_rank, "user", options.Rows);
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
    public LearnerObjective Objective => LearnerObjective.Ranking;

    /// <inheritdoc />
    public bool Learns(UserEvent e) => e.Type != EventType.Rating || e.Value >= _options.PositiveRatingThreshold;

    /// <inheritdoc />
    public double Predict(UserEvent e) => ScoreItem(e.User, e.Item);

    /// <inheritdoc />
    public double ScoreItem(string user, string item) => Score(_users.TryGetRow(user, out var u), u, _items.TryGetRow(item, out var i), i);

    /// <summary>p_u . q_i from rows already looked up; 0 when either is unknown.</summary>
    private double Score(bool knownUser, int u, bool knownItem, int i) =>
        knownUser && knownItem ? TensorPrimitives.Dot((ReadOnlySpan<float>)_users.Factors(u), _items.Factors(i)) : 0.0;

    /// <inheritdoc />
    public double Learn(UserEvent e, double label)
    {
        // Look each row up once (a miss may read the store), predict, then add what is new.
        var knownUser = _users.TryGetRow(e.User, out var u);
        var knownItem = _items.TryGetRow(e.Item, out var i);
        var before = Score(knownUser, u, knownItem, i);
        var p = _users.Factors(knownUser ? _users.Update(u, e.TimestampMs) : _users.Add(e.User, _initialiseUser, 0f, e.TimestampMs));
        var q = _items.Factors(knownItem ? _items.Update(i, e.TimestampMs) : _items.Add(e.Item, _initialiseItem, 0f, e.TimestampMs));
        var weight = (float)Math.Clamp(label / _options.FullStrength, 0.1, 1.0);
        var eta = (float)_options.LearningRate * weight;
        var lambda = (float)_options.Regularization;
        // Two known rows are unchanged since the prediction: its dot product is theirs.
        var error = 1f - (knownUser && knownItem ? (float)before : TensorPrimitives.Dot(p, q));
        Step(p, q, eta, lambda, error);
        return before;
    }

    /// <summary>
    /// The SGD step of both rows towards p . q = 1: p += eta (error q - lambda p), q += eta (error p - lambda q) with the
    /// p before the step, several factors at a time with SIMD; each lane does exactly the scalar operations in the same
    /// order, so the result is the same to the bit on any vector width.
    /// </summary>
    internal static void Step(Span<float> p, Span<float> q, float eta, float lambda, float error)
    {
        var f = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var etas = new Vector<float>(eta);
            var lambdas = new Vector<float>(lambda);
            var errors = new Vector<float>(error);
            for (; f <= p.Length - Vector<float>.Count; f += Vector<float>.Count)
            {
                var pf = new Vector<float>(p[f..]);
                var qf = new Vector<float>(q[f..]);
                (pf + etas * (errors * qf - lambdas * pf)).CopyTo(p[f..]);
                (qf + etas * (errors * pf - lambdas * qf)).CopyTo(q[f..]);
            }
        }

        for (; f < p.Length; f++)
        {
            var pf = p[f];
            p[f] += eta * (error * q[f] - lambda * pf);
            q[f] += eta * (error * pf - lambda * q[f]);
        }
    }

    /// <inheritdoc />
    public void ScoreItems(string user, IReadOnlyList<string> items, Span<float> scores)
    {
        if (!_users.TryGetRow(user, out var u))
        {
            scores[..items.Count].Clear();
            return;
        }

        _items.ScoreCatalog(items, _users.Factors(u), baseScore: 0f, withBias: false, missing: 0f, scores);
    }

    /// <inheritdoc />
    public bool TryRankItems(string user, IReadOnlyList<string> items, int k, IReadOnlySet<int> excluded,
        [NotNullWhen(true)] out List<(int Index, float Score)>? top)
    {
        top = null;
        return _users.TryGetRow(user, out var u)
            && _items.TryRankCatalog(items, _users, u, baseScore: 0f, withBias: false, missing: 0f, k, excluded, out top);
    }

    /// <inheritdoc />
    public void ScoreItems(IReadOnlyList<string> users, IReadOnlyList<string> items, Span<float> scores)
    {
        // Each user's factors are copied as soon as they are looked up: over a store, looking up the next may evict a row.
        // A user without a row scores 0 everywhere.
        var factors = new float[users.Count * _rank];
        var outputs = new int[users.Count];
        var known = 0;
        for (var u = 0; u < users.Count; u++)
        {
            if (_users.TryGetRow(users[u], out var row))
            {
                _users.Factors(row).CopyTo(factors.AsSpan(known * _rank));
                outputs[known++] = u;
            }
            else
            {
                scores.Slice(u * items.Count, items.Count).Clear();
            }
        }

        var zeros = new float[known];
        _items.ScoreCatalog(items, factors, baseScores: zeros, withBias: false, missing: zeros, outputs.AsSpan(0, known), scores);
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
        var snapshot = new LearnerSnapshot(KindName, SnapshotVersion);
        FactorTable.WritePair(snapshot, _users, _items, changesOnly);
        return snapshot;
    }

    /// <inheritdoc />
    public void Restore(LearnerSnapshot snapshot)
    {
        FactorTable.ReadPair(snapshot, _users, _items, Name);
    }
}
