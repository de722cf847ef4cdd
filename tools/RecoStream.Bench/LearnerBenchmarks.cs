using BenchmarkDotNet.Attributes;
using RecoStream.Core.Events;
using RecoStream.Core.Learners;

namespace RecoStream.Bench;

/// <summary>
/// One learner update per operation over events of known users and items (steady state), for each learner at its
/// default settings, against a plain biased-MF SGD step on per-id arrays in dictionaries without vectorisation.
/// </summary>
[MemoryDiagnoser]
public class LearnerBenchmarks
{
    private const int Events = 20_000;
    private (UserEvent Event, double Label)[] _events = null!;
    private IOnlineLearner _learner = null!;
    private NaiveMatrixFactorization _naive = null!;

    [Params("mf", "implicit", "ftrl", "linear")]
    public string Learner { get; set; } = "mf";

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(2);
        _events = [.. Enumerable.Range(0, Events).Select(n =>
        {
            var type = Learner == "ftrl" ? (n % 3 == 0 ? EventType.Click : EventType.View) : EventType.Rating;
            var value = type == EventType.Rating ? rng.Next(1, 6) : (double?)null;
            var e = new UserEvent("user-" + rng.Next(5_000), "item-" + rng.Next(2_000), type, value, n * 10L, ["price"], [rng.NextDouble()]);
            return (e, value ?? (type == EventType.Click ? 2.0 : 1.0));
        })];
        _learner = Learner switch
        {
            "mf" => new BiasedMatrixFactorization(new BiasedMatrixFactorizationOptions()),
            "implicit" => new ImplicitMatrixFactorization(new ImplicitMatrixFactorizationOptions()),
            "ftrl" => new FtrlProximal(new FtrlOptions()),
            _ => new LinearLearner(new LinearLearnerOptions()),
        };
        _naive = new NaiveMatrixFactorization(32);
        // One pass first: every user and item is known, as in a stream that has run for a while.
        Update();
        Naive();
    }

    [Benchmark(OperationsPerInvoke = Events)]
    [AllocationBudget(0)]
    public double Update()
    {
        var sum = 0.0;
        foreach (var (e, label) in _events)
        {
            sum += _learner.Learn(e, label);
        }

        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public double Naive()
    {
        var sum = 0.0;
        foreach (var (e, label) in _events)
        {
            sum += _naive.Learn(e.User, e.Item, label);
        }

        return sum;
    }
}

/// <summary>The baseline: biased MF with plain SGD, per-id arrays in dictionaries, scalar loops.</summary>
internal sealed class NaiveMatrixFactorization
{
    private readonly int _rank;
    private readonly Dictionary<string, double[]> _users = [];
    private readonly Dictionary<string, double[]> _items = [];
    private readonly Dictionary<string, double> _userBias = [];
    private readonly Dictionary<string, double> _itemBias = [];
    private readonly Random _rng = new(1);
    private double _mean;
    private long _n;

    public NaiveMatrixFactorization(int rank)
    {
        _rank = rank;
    }

    public double Learn(string user, string item, double rating)
    {
        if (!_users.TryGetValue(user, out var p))
        {
            _users[user] = p = [.. Enumerable.Range(0, _rank).Select(_ => _rng.NextDouble() * 0.05)];
        }

        if (!_items.TryGetValue(item, out var q))
        {
            _items[item] = q = [.. Enumerable.Range(0, _rank).Select(_ => _rng.NextDouble() * 0.05)];
        }

        var bu = _userBias.GetValueOrDefault(user);
        var bi = _itemBias.GetValueOrDefault(item);
        var prediction = _mean + bu + bi;
        for (var f = 0; f < _rank; f++)
        {
            prediction += p[f] * q[f];
        }

        var error = rating - prediction;
        _n++;
        _mean += (rating - _mean) / _n;
        _userBias[user] = bu + 0.01 * (error - 0.02 * bu);
        _itemBias[item] = bi + 0.01 * (error - 0.02 * bi);
        for (var f = 0; f < _rank; f++)
        {
            var pf = p[f];
            p[f] += 0.01 * (error * q[f] - 0.02 * pf);
            q[f] += 0.01 * (error * pf - 0.02 * q[f]);
        }

        return prediction;
    }
}
