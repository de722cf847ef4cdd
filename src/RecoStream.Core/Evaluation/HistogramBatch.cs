namespace RecoStream.Core.Evaluation;

/// <summary>
/// Observations of a histogram gathered on one thread and handed on once per batch, so that a shared histogram is
/// updated once per bucket instead of once per value. Each bucket with values is handed on as one value observed as
/// many times as the bucket got values: the mean of those values, which lies in the same bucket (clamped to the
/// smallest and largest of them against rounding), so the bucket counts are exact and the sum is the sum of the values
/// up to rounding. Buckets follow Prometheus: a value goes to the first bucket whose upper bound it does not exceed.
/// </summary>
public sealed class HistogramBatch
{
    private readonly double[] _bounds;
    private readonly long[] _counts;
    private readonly double[] _sums;
    private readonly double[] _mins;
    private readonly double[] _maxs;

    /// <param name="upperBounds">The buckets' upper bounds, increasing; a last bucket without bound takes the rest.</param>
    public HistogramBatch(IReadOnlyList<double> upperBounds)
    {
        _bounds = [.. upperBounds];
        for (var i = 1; i < _bounds.Length; i++)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_bounds[i], _bounds[i - 1], nameof(upperBounds));
        }

        var buckets = _bounds.Length + 1;
        _counts = new long[buckets];
        _sums = new double[buckets];
        _mins = new double[buckets];
        _maxs = new double[buckets];
    }

    /// <summary>Adds a finite value (the caller observes any other directly).</summary>
    public void Add(double value)
    {
        var b = 0;
        while (b < _bounds.Length && value > _bounds[b])
        {
            b++;
        }

        if (_counts[b]++ == 0)
        {
            _mins[b] = _maxs[b] = value;
        }
        else
        {
            _mins[b] = Math.Min(_mins[b], value);
            _maxs[b] = Math.Max(_maxs[b], value);
        }

        _sums[b] += value;
    }

    /// <summary>Hands on each bucket's values as (value, times) and starts a new batch.</summary>
    public void Drain(Action<double, long> observe)
    {
        for (var b = 0; b < _counts.Length; b++)
        {
            if (_counts[b] == 0)
            {
                continue;
            }

            observe(Math.Clamp(_sums[b] / _counts[b], _mins[b], _maxs[b]), _counts[b]);
            _counts[b] = 0;
            _sums[b] = 0;
        }
    }
}
