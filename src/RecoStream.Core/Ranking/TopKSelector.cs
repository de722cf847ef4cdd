using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RecoStream.Core.Ranking;

/// <summary>
/// Picks the k highest scores. Excluded indices and NaN scores are skipped; ties go to the lower index, so results are
/// deterministic. Two passes: the maximum of every block of <see cref="BlockSize"/> scores (vectorized), whose k-th largest
/// is a lower bound of the k-th best score (k blocks reach it, each with a score of its own at least as high); then a
/// bounded min-heap over the scores of only the blocks that reach the bound. A request over a large catalog thus reads
/// each score once with SIMD and touches a few blocks one by one, whatever order the scores come in (scores that grow
/// along the catalog, as the newest items' often do, would otherwise enter the heap one after another).
/// </summary>
public static class TopKSelector
{
    /// <summary>
    /// The indices of <paramref name="set"/>: in place for a user's recent items (<see cref="IIndexSpan"/>), where
    /// enumerating the set made an enumerator object per request; copied for any other set.
    /// </summary>
    internal static ReadOnlySpan<int> Indices(IReadOnlySet<int> set) =>
        set is IIndexSpan spanned ? spanned.Indices : set.Count == 0 ? default : set.ToArray();

    /// <summary>Scores per block of the first pass.</summary>
    public const int BlockSize = 64;

    /// <summary>
    /// Returns up to k (index, score) pairs, best first. The scores of <paramref name="excluded"/> indices are overwritten
    /// with NaN (the caller's scratch scores: an excluded score must not raise the bound).
    /// </summary>
    public static List<(int Index, float Score)> Select(Span<float> scores, int k, IReadOnlySet<int> excluded)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        foreach (var index in Indices(excluded))
        {
            if ((uint)index < (uint)scores.Length)
            {
                scores[index] = float.NaN;
            }
        }

        var blocks = (scores.Length + BlockSize - 1) / BlockSize;
        var maxima = blocks <= 1024 ? stackalloc float[blocks] : new float[blocks];
        for (var b = 0; b < blocks; b++)
        {
            maxima[b] = MaxIgnoringNaN(scores.Slice(b * BlockSize, Math.Min(BlockSize, scores.Length - (b * BlockSize))));
        }

        var bound = KthLargest(maxima, k);
        var heap = new Heap(Math.Min(k, scores.Length));
        for (var b = 0; b < blocks; b++)
        {
            if (maxima[b] < bound)
            {
                continue;
            }

            var start = b * BlockSize;
            var end = Math.Min(start + BlockSize, scores.Length);
            for (var i = start; i < end; i++)
            {
                // NaN fails the comparison.
                if (scores[i] >= bound)
                {
                    heap.Offer(scores[i], i);
                }
            }
        }

        return heap.Drain();
    }

    /// <summary>The largest score of a block, NaN counting as negative infinity (so a block of NaNs is -inf).</summary>
    private static float MaxIgnoringNaN(ReadOnlySpan<float> block)
    {
        var max = float.NegativeInfinity;
        var i = 0;
        if (Vector256.IsHardwareAccelerated && block.Length >= Vector256<float>.Count)
        {
            var negativeInfinity = Vector256.Create(float.NegativeInfinity);
            var maxes = negativeInfinity;
            ref var first = ref MemoryMarshal.GetReference(block);
            for (; i + Vector256<float>.Count <= block.Length; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref first, (nuint)i);
                // A NaN lane (not equal to itself) becomes -inf; then the hardware max, exact without NaNs.
                maxes = Vector256.MaxNative(maxes, Vector256.ConditionalSelect(Vector256.Equals(v, v), v, negativeInfinity));
            }

            for (var lane = 0; lane < Vector256<float>.Count; lane++)
            {
                max = Math.Max(max, maxes[lane]);
            }
        }

        for (; i < block.Length; i++)
        {
            if (block[i] > max)
            {
                max = block[i];
            }
        }

        return max;
    }

    /// <summary>The k-th largest of the values, or -inf when there are fewer than k.</summary>
    private static float KthLargest(ReadOnlySpan<float> values, int k)
    {
        if (values.Length < k)
        {
            return float.NegativeInfinity;
        }

        // A min-heap of the k largest so far; its root is the k-th largest.
        var kept = k <= 256 ? stackalloc float[k] : new float[k];
        values[..k].CopyTo(kept);
        for (var at = (k / 2) - 1; at >= 0; at--)
        {
            SiftDown(kept, at);
        }

        foreach (var value in values[k..])
        {
            if (value > kept[0])
            {
                kept[0] = value;
                SiftDown(kept, 0);
            }
        }

        return kept[0];
    }

    private static void SiftDown(Span<float> heap, int at)
    {
        while (true)
        {
            var left = (2 * at) + 1;
            if (left >= heap.Length)
            {
                return;
            }

            var least = left + 1 < heap.Length && heap[left + 1] < heap[left] ? left + 1 : left;
            if (heap[least] >= heap[at])
            {
                return;
            }

            (heap[at], heap[least]) = (heap[least], heap[at]);
            at = least;
        }
    }

    /// <summary>
    /// A bounded min-heap of (score, index) offered in increasing index order: while not full every offer enters; then
    /// only a score strictly above the worst kept one (an equal score comes at a higher index, so it ranks below).
    /// </summary>
    internal struct Heap(int capacity)
    {
        private readonly float[] _scores = new float[capacity];
        private readonly int[] _indices = new int[capacity];
        private int _count;

        /// <summary>Whether the heap holds as many as it can.</summary>
        public readonly bool Full => _count == _scores.Length;

        /// <summary>The worst score kept (the root).</summary>
        public readonly float Worst => _scores[0];

        public void Offer(float score, int index)
        {
            if (_count < _scores.Length)
            {
                _scores[_count] = score;
                _indices[_count] = index;
                SiftUp(_count++);
            }
            else if (_count > 0 && score > _scores[0])
            {
                _scores[0] = score;
                _indices[0] = index;
                SiftDown(_count);
            }
        }

        /// <summary>The kept pairs, best first (the heap is emptied).</summary>
        public List<(int Index, float Score)> Drain()
        {
            var result = new List<(int, float)>(_count);
            for (var n = _count; n > 0; n--)
            {
                result.Add((_indices[0], _scores[0]));
                _scores[0] = _scores[n - 1];
                _indices[0] = _indices[n - 1];
                SiftDown(n - 1);
            }

            _count = 0;
            result.Reverse();
            return result;
        }

        /// <summary>True when entry a ranks below entry b: a lower score, or the same score at a higher index.</summary>
        private readonly bool Worse(int a, int b) => _scores[a] < _scores[b] || (_scores[a] == _scores[b] && _indices[a] > _indices[b]);

        private readonly void SiftUp(int at)
        {
            while (at > 0)
            {
                var parent = (at - 1) >> 1;
                if (!Worse(at, parent))
                {
                    return;
                }

                Swap(at, parent);
                at = parent;
            }
        }

        private readonly void SiftDown(int count)
        {
            var at = 0;
            while (true)
            {
                var left = (2 * at) + 1;
                if (left >= count)
                {
                    return;
                }

                var worst = left + 1 < count && Worse(left + 1, left) ? left + 1 : left;
                if (!Worse(worst, at))
                {
                    return;
                }

                Swap(at, worst);
                at = worst;
            }
        }

        private readonly void Swap(int a, int b)
        {
            (_scores[a], _scores[b]) = (_scores[b], _scores[a]);
            (_indices[a], _indices[b]) = (_indices[b], _indices[a]);
        }
    }
}

/// <summary>A set of indices that can give them as a span (valid until the set's owner changes).</summary>
internal interface IIndexSpan
{
    /// <summary>The indices, each once.</summary>
    ReadOnlySpan<int> Indices { get; }
}
