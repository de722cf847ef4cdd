using RecoStream.Core.Events;

namespace RecoStream.Bench;

/// <summary>
/// Typical parsed events for the stage benchmarks: 20,000 users, 5,000 items with skewed popularity, the five event
/// types (ratings 1-5, purchases with an amount), two numeric features, one event every 10 ms of event time.
/// </summary>
internal sealed class StreamSample
{
    public StreamSample(int events, int seed = 1)
    {
        var rng = new Random(seed);
        var start = DateTimeOffset.UtcNow.AddDays(-400).ToUnixTimeMilliseconds();
        Items = new StreamItem[events];
        Timestamps = new long[events];
        RawFeatures = new double[events][];
        var users = Enumerable.Range(0, 20_000).Select(n => "user-" + n).ToArray();
        var items = Enumerable.Range(0, 5_000).Select(n => "item-" + n).ToArray();
        for (var n = 0; n < events; n++)
        {
            var item = (int)(items.Length * Math.Pow(rng.NextDouble(), 2));
            var (type, value) = rng.Next(10) switch
            {
                < 5 => (EventType.View, (double?)null),
                < 7 => (EventType.Click, null),
                7 => (EventType.AddToCart, null),
                8 => (EventType.Purchase, 5.0 + item % 50),
                _ => (EventType.Rating, rng.Next(1, 6)),
            };
            Timestamps[n] = start + n * 10L;
            RawFeatures[n] = [10.0 + item % 97, n / 360_000 % 24];
            Items[n] = StreamItem.ForEvent(n + 1, new UserEvent(users[rng.Next(users.Length)], items[item], type, value, Timestamps[n],
                ["price", "hour"], (double[])RawFeatures[n].Clone()));
        }

        SpanMs = events * 10L + 10;
    }

    public StreamItem[] Items { get; }

    public long[] Timestamps { get; }

    public double[][] RawFeatures { get; }

    /// <summary>Event time one pass covers; each pass is shifted by it so that no event repeats an earlier one.</summary>
    public long SpanMs { get; }

    /// <summary>Makes event <paramref name="n"/> look fresh for pass <paramref name="pass"/> (raw features, later time).</summary>
    public UserEvent Rewind(int n, long pass)
    {
        var e = Items[n].Event!;
        e.TimestampMs = Timestamps[n] + pass * SpanMs;
        RawFeatures[n].CopyTo(e.FeatureValues, 0);
        return e;
    }
}
