namespace RecoStream.Core.Evaluation;

/// <summary>
/// Test-then-train error: each event's prediction is made before the learner sees its label, so the
/// running RMSE and MAE measure generalisation on the live stream, not fit.
/// </summary>
public sealed class PrequentialEvaluator
{
    /// <summary>How many predictions were scored.</summary>
    public long Count { get; private set; }

    /// <summary>Sum of squared errors.</summary>
    public double SumSquaredError { get; private set; }

    /// <summary>Sum of absolute errors.</summary>
    public double SumAbsoluteError { get; private set; }

    /// <summary>Root mean squared error so far; NaN before the first prediction.</summary>
    public double Rmse => Count == 0 ? double.NaN : Math.Sqrt(SumSquaredError / Count);

    /// <summary>Mean absolute error so far; NaN before the first prediction.</summary>
    public double Mae => Count == 0 ? double.NaN : SumAbsoluteError / Count;

    /// <summary>Scores one prediction made before learning from <paramref name="label"/>.</summary>
    public void Add(double prediction, double label)
    {
        var error = prediction - label;
        Count++;
        SumSquaredError += error * error;
        SumAbsoluteError += Math.Abs(error);
    }

    /// <summary>A copy for a checkpoint.</summary>
    public EvaluatorSnapshot Snapshot() => new(Count, SumSquaredError, SumAbsoluteError);

    /// <summary>Continues from a checkpoint's totals.</summary>
    public void Restore(EvaluatorSnapshot snapshot)
    {
        Count = snapshot.Count;
        SumSquaredError = snapshot.SumSquaredError;
        SumAbsoluteError = snapshot.SumAbsoluteError;
    }
}
