namespace RecoStream.Core.Evaluation;

/// <summary>The prequential evaluator's checkpointed totals.</summary>
public sealed record EvaluatorSnapshot(
    long Count,
    double SumSquaredError,
    double SumAbsoluteError,
    long Ranked = 0,
    long Hits = 0,
    double DiscountedGain = 0,
    long Classified = 0,
    double SumLogLoss = 0,
    long Learned = 0);
