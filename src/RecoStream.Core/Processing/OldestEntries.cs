namespace RecoStream.Core.Processing;

/// <summary>
/// Bounds a table of per-key state by dropping the least recently active entries: once it holds more than the limit,
/// the oldest are removed until 90% of the limit remain, so the cost (a sort of the times) is paid once per
/// tenth of the limit in new keys.
/// </summary>
public static class OldestEntries
{
    /// <summary>
    /// Trims <paramref name="table"/> when it exceeds <paramref name="limit"/> (0: no limit), telling
    /// <paramref name="dropped"/> of each entry it removes; returns how many it removed.
    /// </summary>
    public static int Trim<TKey, TValue>(Dictionary<TKey, TValue> table, int limit, Func<TValue, long> lastActive, Action<TKey, TValue>? dropped = null)
        where TKey : notnull
    {
        if (limit <= 0 || table.Count <= limit)
        {
            return 0;
        }

        var times = new long[table.Count];
        var i = 0;
        foreach (var value in table.Values)
        {
            times[i++] = lastActive(value);
        }

        var cutoff = Cutoff(times, limit);
        var count = 0;
        foreach (var (key, value) in table)
        {
            if (lastActive(value) <= cutoff)
            {
                table.Remove(key);
                dropped?.Invoke(key, value);
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// The last activity at or before which entries go, for a table over <paramref name="limit"/> whose entries were last
    /// active at <paramref name="times"/> (sorted here): down to 90% of the limit, the least recently active first. Ties
    /// with the cutoff go too, so slightly more than needed may.
    /// </summary>
    public static long Cutoff(long[] times, int limit)
    {
        var keep = Math.Max(1, limit - limit / 10);
        Array.Sort(times);
        return times[times.Length - keep - 1];
    }
}
