namespace RecoStream.Core.Evaluation;

/// <summary>Prequential evaluation settings (section <c>RecoStream:Evaluation</c>).</summary>
public sealed class EvaluationOptions
{
    /// <summary>
    /// Rank every Nth positive event for Recall@10 and NDCG@10 (scoring the whole catalog per learner costs
    /// O(items) per ranked event); 0 turns ranking evaluation off. Default 10; <c>replay</c> ranks every one.
    /// </summary>
    public int RankingEvery { get; set; } = 10;

    /// <summary>A rating at or above this is a positive event for ranking; every non-rating event is one. Default 4.</summary>
    public double PositiveRatingThreshold { get; set; } = 4.0;
}
