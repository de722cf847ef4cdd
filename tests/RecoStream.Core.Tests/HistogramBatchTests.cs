using RecoStream.Core.Evaluation;

namespace RecoStream.Core.Tests;

public class HistogramBatchTests
{
    private static readonly double[] Bounds = [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 1000];

    /// <summary>The bucket Prometheus puts a value in: the first whose upper bound it does not exceed, else the last.</summary>
    private static int Bucket(double value)
    {
        var b = 0;
        while (b < Bounds.Length && value > Bounds[b])
        {
            b++;
        }

        return b;
    }

    [Fact]
    public void Drain_GivesEachBucketsCountAndSum_WithAValueInThatBucket_ThenStartsAfresh()
    {
        var rng = new Random(3);
        var batch = new HistogramBatch(Bounds);
        for (var round = 0; round < 3; round++)
        {
            // Values spread over every bucket, the bounds themselves (which belong to their own bucket) and beyond.
            var values = Enumerable.Range(0, 5000).Select(_ => Math.Exp((rng.NextDouble() * 12) - 4))
                .Concat(Bounds).Concat(Bounds).Concat([0.0, 1e6]).ToArray();
            foreach (var v in values)
            {
                batch.Add(v);
            }

            var counts = new long[Bounds.Length + 1];
            var sums = new double[Bounds.Length + 1];
            batch.Drain((value, times) =>
            {
                var b = Bucket(value);
                counts[b] += times;
                sums[b] += value * times;
            });

            for (var b = 0; b <= Bounds.Length; b++)
            {
                var inBucket = values.Where(v => Bucket(v) == b).ToArray();
                Assert.Equal(inBucket.Length, counts[b]);
                Assert.Equal(inBucket.Sum(), sums[b], 1e-9 * Math.Max(1, inBucket.Sum()));
            }
        }

        var none = 0;
        batch.Drain((_, _) => none++);
        Assert.Equal(0, none);
    }

    [Fact]
    public void Drain_AllValuesOnABound_StayInTheirBucket()
    {
        // Their mean could round above the bound; it is clamped to the values seen.
        var batch = new HistogramBatch(Bounds);
        for (var n = 0; n < 1000; n++)
        {
            batch.Add(0.1);
        }

        var drained = new List<(double Value, long Times)>();
        batch.Drain((value, times) => drained.Add((value, times)));
        Assert.Equal([(0.1, 1000L)], drained);
    }
}
