namespace RecoStream.Core.Evaluation;

/// <summary>
/// Test-then-train quality of one learner: each prediction is made before the learner sees the event, so the
/// running figures measure generalisation on the live stream, not fit. Regression errors (RMSE, MAE) for
/// learners that predict the label, classification (log-loss, and AUC over a sliding window) for click models,
/// and top-10 ranking quality (Recall@10, NDCG@10) for every learner.
/// </summary>
public sealed class PrequentialEvaluator
{
    /// <summary>Events the learner learned from (whatever its objective).</summary>
    public long Learned { get; private set; }

    /// <summary>Counts one event learned from.</summary>
    public void AddLearned() => Learned++;

    /// <summary>How many predictions were scored against their label.</summary>
    public long Count { get; private set; }

    /// <summary>Sum of squared errors.</summary>
    public double SumSquaredError { get; private set; }

    /// <summary>Sum of absolute errors.</summary>
    public double SumAbsoluteError { get; private set; }

    /// <summary>Positive events ranked (top-10 evaluation).</summary>
    public long Ranked { get; private set; }

    /// <summary>Ranked events whose item was in the top 10.</summary>
    public long Hits { get; private set; }

    /// <summary>Sum of the discounted gains 1 / log2(rank + 2) of the hits.</summary>
    public double DiscountedGain { get; private set; }

    /// <summary>Probabilities scored against a 0/1 label (classification).</summary>
    public long Classified { get; private set; }

    /// <summary>Sum of log-losses.</summary>
    public double SumLogLoss { get; private set; }

    /// <summary>Root mean squared error so far; NaN before the first prediction.</summary>
    public double Rmse => Count == 0 ? double.NaN : Math.Sqrt(SumSquaredError / Count);

    /// <summary>Mean absolute error so far; NaN before the first prediction.</summary>
    public double Mae => Count == 0 ? double.NaN : SumAbsoluteError / Count;

    /// <summary>Share of ranked positives whose item was in the top 10; NaN before the first.</summary>
    public double RecallAt10 => Ranked == 0 ? double.NaN : (double)Hits / Ranked;

    /// <summary>Mean NDCG@10 over ranked positives (one relevant item each, so the ideal DCG is 1); NaN before the first.</summary>
    public double NdcgAt10 => Ranked == 0 ? double.NaN : DiscountedGain / Ranked;

    /// <summary>Mean log-loss; NaN before the first.</summary>
    public double LogLoss => Classified == 0 ? double.NaN : SumLogLoss / Classified;

    /// <summary>AUC over the most recent classified events (a sliding window); NaN until it has both classes.</summary>
    public SlidingAuc Auc { get; } = new(WindowSize);

    /// <summary>How many of the most recent events the sliding figures cover.</summary>
    public const int WindowSize = 10_000;

    /// <summary>Squared errors of the last <see cref="WindowSize"/> scored predictions.</summary>
    public SlidingMean SquaredErrorWindow { get; } = new(WindowSize);

    /// <summary>Absolute errors of the last scored predictions.</summary>
    public SlidingMean AbsoluteErrorWindow { get; } = new(WindowSize);

    /// <summary>Hits (1) and misses (0) of the last ranked events.</summary>
    public SlidingMean HitWindow { get; } = new(WindowSize);

    /// <summary>Discounted gains of the last ranked events.</summary>
    public SlidingMean GainWindow { get; } = new(WindowSize);

    /// <summary>Log-losses of the last classified events.</summary>
    public SlidingMean LogLossWindow { get; } = new(WindowSize);

    /// <summary>Scores one prediction made before learning from <paramref name="label"/>.</summary>
    public void Add(double prediction, double label)
    {
        var error = prediction - label;
        Count++;
        SumSquaredError += error * error;
        SumAbsoluteError += Math.Abs(error);
        SquaredErrorWindow.Add(error * error);
        AbsoluteErrorWindow.Add(Math.Abs(error));
    }

    /// <summary>Scores one probability made before learning a 0/1 label.</summary>
    public void AddClassification(double probability, bool positive)
    {
        const double Epsilon = 1e-15;
        var p = Math.Clamp(probability, Epsilon, 1 - Epsilon);
        Classified++;
        var loss = positive ? -Math.Log(p) : -Math.Log(1 - p);
        SumLogLoss += loss;
        LogLossWindow.Add(loss);
        Auc.Add(probability, positive);
    }

    /// <summary>Records where a positive event's item ranked (0-based) among the user's candidates, before learning it.</summary>
    public void AddRank(int rank)
    {
        Ranked++;
        var gain = rank < 10 ? 1.0 / Math.Log2(rank + 2) : 0.0;
        if (rank < 10)
        {
            Hits++;
            DiscountedGain += gain;
        }

        HitWindow.Add(rank < 10 ? 1 : 0);
        GainWindow.Add(gain);
    }

    /// <summary>A copy for a checkpoint.</summary>
    public EvaluatorSnapshot Snapshot() => new(Count, SumSquaredError, SumAbsoluteError, Ranked, Hits, DiscountedGain, Classified, SumLogLoss, Learned);

    /// <summary>Continues from a checkpoint's totals (the sliding windows start empty).</summary>
    public void Restore(EvaluatorSnapshot snapshot)
    {
        Count = snapshot.Count;
        SumSquaredError = snapshot.SumSquaredError;
        SumAbsoluteError = snapshot.SumAbsoluteError;
        Ranked = snapshot.Ranked;
        Hits = snapshot.Hits;
        DiscountedGain = snapshot.DiscountedGain;
        Classified = snapshot.Classified;
        SumLogLoss = snapshot.SumLogLoss;
        Learned = snapshot.Learned;
    }
}
