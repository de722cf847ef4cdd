namespace RecoStream.Core.Evaluation;

/// <summary>The prequential evaluator's checkpointed totals.</summary>
public sealed record EvaluatorSnapshot(long Count, double SumSquaredError, double SumAbsoluteError);
