namespace RecoStream.Worker.Pipeline;

/// <summary>
/// Arrival-to-update latencies of one run in geometric buckets 5% wide from 1 microsecond to about 100 seconds, for the
/// quantiles of the replay summary; recording allocates nothing. Pipeline thread only.
/// </summary>
internal sealed class LatencyRecorder
{
    private const double Smallest = 1e-6;
    private static readonly double Step = Math.Log(1.05);
    private readonly long[] _counts = new long[380];
    private long _total;

    /// <summary>Records <paramref name="count"/> events that waited <paramref name="seconds"/>.</summary>
    public void Record(double seconds, long count = 1)
    {
        var bucket = seconds <= Smallest ? 0 : (int)(Math.Log(seconds / Smallest) / Step) + 1;
        _counts[Math.Min(bucket, _counts.Length - 1)] += count;
        _total += count;
    }

    /// <summary>The q-quantile in milliseconds (the upper edge of its bucket), or null when nothing was recorded.</summary>
    public double? QuantileMs(double q)
    {
        if (_total == 0)
        {
            return null;
        }

        var rank = (long)Math.Ceiling(q * _total);
        long seen = 0;
        for (var b = 0; b < _counts.Length; b++)
        {
            seen += _counts[b];
            if (seen >= rank)
            {
                return Smallest * Math.Exp(b * Step) * 1000.0;
            }
        }

        return null;
    }
}
