namespace RecoStream.Core.Evaluation;

/// <summary>Prequential evaluation settings (section <c>RecoStream:Evaluation</c>).</summary>
public sealed class EvaluationOptions
{
    /// <summary>
    /// Rank every Nth positive event for Recall@10 and NDCG@10 (scoring the whole catalog per learner costs
    /// O(items) per ranked event, which on a 10,000-item catalog is most of an event's cost); 0 turns ranking
    /// evaluation off. Default 1000 (about 15% of the pipeline's time with four learners and 10,000 items);
    /// <c>replay</c> ranks every one.
    /// </summary>
    public int RankingEvery { get; set; } = 1000;

    /// <summary>A rating at or above this is a positive event for ranking; every non-rating event is one. Default 4.</summary>
    public double PositiveRatingThreshold { get; set; } = 4.0;
}
