namespace RecoStream.Core.Ranking;

/// <summary>
/// Picks the k highest scores with a bounded min-heap: O(n log k) time and O(k) memory. Excluded indices
/// and NaN scores are skipped. Ties go to the lower index, so results are deterministic.
/// </summary>
public static class TopKSelector
{
    /// <summary>Returns up to k (index, score) pairs, best first.</summary>
    public static List<(int Index, float Score)> Select(ReadOnlySpan<float> scores, int k, IReadOnlySet<int> excluded)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var heap = new PriorityQueue<int, (float Score, int Index)>(k + 1, WorstFirst.Instance);
        for (var i = 0; i < scores.Length; i++)
        {
            var s = scores[i];
            if (float.IsNaN(s) || excluded.Contains(i))
            {
                continue;
            }

            if (heap.Count < k)
            {
                heap.Enqueue(i, (s, i));
            }
            else if (heap.TryPeek(out _, out var worst) && Better(s, i, worst.Score, worst.Index))
            {
                heap.DequeueEnqueue(i, (s, i));
            }
        }

        var result = new List<(int, float)>(heap.Count);
        while (heap.TryDequeue(out var index, out var key))
        {
            result.Add((index, key.Score));
        }

        result.Reverse();
        return result;
    }

    private static bool Better(float s, int i, float otherScore, int otherIndex) =>
        s > otherScore || (s == otherScore && i < otherIndex);

    /// <summary>Orders the heap so that the worst entry (lowest score, then highest index) is on top.</summary>
    private sealed class WorstFirst : IComparer<(float Score, int Index)>
    {
        public static readonly WorstFirst Instance = new();

        public int Compare((float Score, int Index) x, (float Score, int Index) y)
        {
            var byScore = x.Score.CompareTo(y.Score);
            return byScore != 0 ? byScore : y.Index.CompareTo(x.Index);
        }
    }
}
