using RecoStream.Core.Evaluation;

namespace RecoStream.Worker.Pipeline;

/// <summary>What one run did, for the replay summary line.</summary>
internal sealed record RunResult(long Lines, long Applied, long Rejected, long Requests, double Seconds, IReadOnlyList<LearnerRun> Learners, string Serving)
{
    /// <summary>Median arrival-to-update latency (ms).</summary>
    public double? LatencyP50Ms { get; init; }

    /// <summary>99th-percentile arrival-to-update latency (ms).</summary>
    public double? LatencyP99Ms { get; init; }

    /// <summary>
    /// Checkpoints written in the run (the final one included): fewer than the events over <c>CheckpointEveryEvents</c>
    /// when writes fall behind, as a checkpoint that falls due while one is written waits for it.
    /// </summary>
    public int Checkpoints { get; init; }

    /// <summary>Compacting collections after checkpoint writes, and their pauses together (ms).</summary>
    public (int Count, double PauseMs) HeapCompactions { get; init; }

    /// <summary>Trims of the C allocator's arenas after checkpoint writes.</summary>
    public int NativeTrims { get; init; }

    /// <summary>The serving learner's mode.</summary>
    public string ServingMode => Learners.Single(l => l.Name == Serving).Mode;
}

/// <summary>One learner's prequential quality over one run (null where it does not apply or nothing was scored).</summary>
internal sealed record LearnerRun(string Name, string Mode, long Learned, double? Rmse, double? Mae, double? RecallAt10, double? NdcgAt10, double? LogLoss, double? Auc)
{
    /// <summary>The figures of the events between two snapshots of a learner's evaluator.</summary>
    public static LearnerRun Between(string name, string mode, EvaluatorSnapshot before, EvaluatorSnapshot after, double auc)
    {
        var scored = after.Count - before.Count;
        var ranked = after.Ranked - before.Ranked;
        var classified = after.Classified - before.Classified;
        return new LearnerRun(
            name,
            mode,
            after.Learned - before.Learned,
            scored > 0 ? Math.Sqrt((after.SumSquaredError - before.SumSquaredError) / scored) : null,
            scored > 0 ? (after.SumAbsoluteError - before.SumAbsoluteError) / scored : null,
            ranked > 0 ? (double)(after.Hits - before.Hits) / ranked : null,
            ranked > 0 ? (after.DiscountedGain - before.DiscountedGain) / ranked : null,
            classified > 0 ? (after.SumLogLoss - before.SumLogLoss) / classified : null,
            classified > 0 && double.IsFinite(auc) ? auc : null);
    }
}
