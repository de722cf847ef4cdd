namespace RecoStream.Core.Evaluation;

/// <summary>
/// Area under the ROC curve over the last N scored events: the probability that a random positive is scored
/// above a random negative (ties count half). Computed on demand by sorting the window: O(N log N) per read,
/// nothing per event but a ring-buffer write.
/// </summary>
public sealed class SlidingAuc
{
    private readonly double[] _scores;
    private readonly bool[] _labels;
    private int _next;
    private int _count;

    public SlidingAuc(int window)
    {
        _scores = new double[window];
        _labels = new bool[window];
    }

    public void Add(double score, bool positive)
    {
        _scores[_next] = score;
        _labels[_next] = positive;
        _next = (_next + 1) % _scores.Length;
        _count = Math.Min(_count + 1, _scores.Length);
    }

    /// <summary>The AUC of the window; NaN unless it holds both classes.</summary>
    public double Value()
    {
        var order = Enumerable.Range(0, _count).OrderBy(i => _scores[i]).ToArray();
        long positives = 0, negatives = 0;
        double rankSum = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && _scores[order[end + 1]] == _scores[order[start]])
            {
                end++;
            }

            var averageRank = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++)
            {
                if (_labels[order[k]])
                {
                    positives++;
                    rankSum += averageRank;
                }
                else
                {
                    negatives++;
                }
            }

            start = end + 1;
        }

        return positives == 0 || negatives == 0 ? double.NaN : (rankSum - positives * (positives + 1) / 2.0) / (positives * negatives);
    }
}
