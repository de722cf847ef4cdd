using BenchmarkDotNet.Attributes;
using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Ranking;

namespace RecoStream.Bench;

/// <summary>
/// A top-10 recommendation for one user over the whole catalog at rank 32 (biased MF): score every item (over the
/// catalog's panels of 16 items laid out by factor, with 256-bit FMA) and keep the best with a bounded heap, excluding
/// the user's items; against scoring with a scalar loop and sorting every score. <see cref="Recommend"/> and
/// <see cref="RecommendSixteen"/> go the way the worker does: where the CPU has VNNI, the learner ranks the catalog from
/// its 8-bit copy and scores only a few items exactly.
/// </summary>
[MemoryDiagnoser]
public class TopKBenchmarks
{
    private Recommender _recommender = null!;
    private BiasedMatrixFactorization _mf = null!;
    private ItemCatalog _catalog = null!;
    private IReadOnlySet<int> _seen = null!;
    private float[] _scores = [];
    private float[] _scored = [];
    private (string User, int K)[] _sixteen = [];

    [Params(10_000, 1_000_000)]
    public int Items { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _mf = new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions { Rank = 32 });
        _catalog = new ItemCatalog();
        var history = new InteractionHistory(1000);
        var rng = new Random(3);
        for (var i = 0; i < Items; i++)
        {
            var item = "item-" + i;
            _mf.Learn(new UserEvent("user-" + rng.Next(1000), item, EventType.Rating, rng.Next(1, 6), i, [], []), rng.Next(1, 6));
            history.Record("user-" + rng.Next(1000), _catalog.Record(item));
        }

        _recommender = new Recommender(_mf, _catalog, history);
        history.TryGetItems("user-7", out _seen);
        _scored = new float[Items];
        _mf.ScoreItems("user-7", _catalog.Ids, _scored);
        _scores = new float[Items];
        _sixteen = [.. Enumerable.Range(0, 16).Select(u => ("user-" + u, 10))];
    }

    /// <summary>The scoring pass of <see cref="Recommend"/> alone.</summary>
    [Benchmark]
    public float Score()
    {
        _mf.ScoreItems("user-7", _catalog.Ids, _scores);
        return _scores[0];
    }

    /// <summary>The selection of <see cref="Recommend"/> alone (on a copy of one user's scores, as it overwrites the excluded ones).</summary>
    [Benchmark]
    public int Select()
    {
        _scored.CopyTo(_scores, 0);
        return TopKSelector.Select(_scores, 10, _seen).Count;
    }

    /// <summary>Sixteen users' top-10 at once, scored in one pass over the items: divide by 16 for a request's share.</summary>
    [Benchmark]
    public int RecommendSixteen() => _recommender.Recommend(_sixteen).Count;

    [Benchmark]
    public int Recommend() => _recommender.Recommend("user-7", 10).Items.Count;

    [Benchmark(Baseline = true)]
    public int ScoreAllAndSort()
    {
        var scored = new List<(string Item, double Score)>(_catalog.Count);
        foreach (var item in _catalog.Ids)
        {
            scored.Add((item, _mf.ScoreItem("user-7", item)));
        }

        return scored.OrderByDescending(s => s.Score).Take(10).Count();
    }
}
