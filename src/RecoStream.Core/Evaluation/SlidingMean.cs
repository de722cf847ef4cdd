namespace RecoStream.Core.Evaluation;

/// <summary>The mean of the last N values added, in O(1) per value (a ring buffer and a running sum).</summary>
public sealed class SlidingMean
{
    private readonly double[] _values;
    private int _next;
    private int _count;
    private double _sum;

    // Values to add before the sum is taken afresh (counted down: a modulo per value was two integer divisions).
    private int _untilResum;

    public SlidingMean(int window)
    {
        _values = new double[window];
        _untilResum = window;
    }

    /// <summary>The mean of the values in the window; NaN when empty.</summary>
    public double Mean => _count == 0 ? double.NaN : _sum / _count;

    public void Add(double value)
    {
        if (_count == _values.Length)
        {
            _sum -= _values[_next];
        }
        else
        {
            _count++;
        }

        _values[_next] = value;
        _sum += value;
        if (++_next == _values.Length)
        {
            _next = 0;
        }

        // Re-add from scratch once per window so rounding errors of the running sum cannot accumulate.
        if (--_untilResum == 0)
        {
            _untilResum = _values.Length;
            _sum = 0;
            for (var i = 0; i < _count; i++)
            {
                _sum += _values[i];
            }
        }
    }
}
