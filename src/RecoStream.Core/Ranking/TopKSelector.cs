namespace RecoStream.Core.Ranking;

/// <summary>
/// Picks the k highest scores with a bounded min-heap: O(n log k) time and O(k) memory. Excluded indices
/// and NaN scores are skipped. Ties go to the lower index, so results are deterministic. Once the heap is full a
/// score is first compared with the worst kept one, and only one that would enter the heap is looked up in the
/// excluded set, so a request over a large catalog costs about one comparison per item.
/// </summary>
public static class TopKSelector
{
    /// <summary>Returns up to k (index, score) pairs, best first.</summary>
    public static List<(int Index, float Score)> Select(ReadOnlySpan<float> scores, int k, IReadOnlySet<int> excluded)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var capacity = Math.Min(k, scores.Length);
        var heapScores = new float[capacity];
        var heapIndices = new int[capacity];
        var count = 0;
        var i = 0;
        for (; i < scores.Length && count < capacity; i++)
        {
            var s = scores[i];
            if (!float.IsNaN(s) && !excluded.Contains(i))
            {
                heapScores[count] = s;
                heapIndices[count] = i;
                SiftUp(heapScores, heapIndices, count++);
            }
        }

        if (count == capacity && count > 0)
        {
            // Indices only grow from here, so a score equal to the worst kept one never wins the tie: strictly greater.
            var worst = heapScores[0];
            for (; i < scores.Length; i++)
            {
                var s = scores[i];
                if (s > worst && !excluded.Contains(i))
                {
                    heapScores[0] = s;
                    heapIndices[0] = i;
                    SiftDown(heapScores, heapIndices, count);
                    worst = heapScores[0];
                }
            }
        }

        var result = new List<(int, float)>(count);
        for (var n = count; n > 0; n--)
        {
            result.Add((heapIndices[0], heapScores[0]));
            heapScores[0] = heapScores[n - 1];
            heapIndices[0] = heapIndices[n - 1];
            SiftDown(heapScores, heapIndices, n - 1);
        }

        result.Reverse();
        return result;
    }

    /// <summary>True when (a, ia) ranks below (b, ib): a lower score, or the same score at a higher index.</summary>
    private static bool Worse(float a, int ia, float b, int ib) => a < b || (a == b && ia > ib);

    private static void SiftUp(float[] scores, int[] indices, int at)
    {
        while (at > 0)
        {
            var parent = (at - 1) >> 1;
            if (!Worse(scores[at], indices[at], scores[parent], indices[parent]))
            {
                return;
            }

            Swap(scores, indices, at, parent);
            at = parent;
        }
    }

    private static void SiftDown(float[] scores, int[] indices, int count)
    {
        var at = 0;
        while (true)
        {
            var left = (2 * at) + 1;
            if (left >= count)
            {
                return;
            }

            var worst = left + 1 < count && Worse(scores[left + 1], indices[left + 1], scores[left], indices[left]) ? left + 1 : left;
            if (!Worse(scores[worst], indices[worst], scores[at], indices[at]))
            {
                return;
            }

            Swap(scores, indices, at, worst);
            at = worst;
        }
    }

    private static void Swap(float[] scores, int[] indices, int a, int b)
    {
        (scores[a], scores[b]) = (scores[b], scores[a]);
        (indices[a], indices[b]) = (indices[b], indices[a]);
    }
}
