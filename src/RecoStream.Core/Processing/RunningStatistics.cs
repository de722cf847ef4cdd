namespace RecoStream.Core.Processing;

/// <summary>
/// Welford's online mean and variance (numerically stable in one pass, with no stored samples), and the running
/// minimum and maximum.
/// </summary>
public struct RunningStatistics
{
    /// <summary>Restores statistics from their stored parts.</summary>
    public RunningStatistics(long count, double mean, double m2, double min, double max)
    {
        Count = count;
        Mean = mean;
        M2 = m2;
        Min = min;
        Max = max;
    }

    /// <summary>How many values were added.</summary>
    public long Count { get; private set; }

    /// <summary>The running mean.</summary>
    public double Mean { get; private set; }

    /// <summary>The sum of squared deviations from the mean.</summary>
    public double M2 { get; private set; }

    /// <summary>The smallest value added (0 before the first).</summary>
    public double Min { get; private set; }

    /// <summary>The largest value added (0 before the first).</summary>
    public double Max { get; private set; }

    /// <summary>The population variance (0 before two values).</summary>
    public readonly double Variance => Count > 1 ? M2 / Count : 0.0;

    /// <summary>Adds one value.</summary>
    public void Add(double x)
    {
        Count++;
        var delta = x - Mean;
        Mean += delta / Count;
        M2 += delta * (x - Mean);
        Min = Count == 1 ? x : Math.Min(Min, x);
        Max = Count == 1 ? x : Math.Max(Max, x);
    }
}
