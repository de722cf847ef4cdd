namespace RecoStream.Core.Learners;

/// <summary>What a learner's predictions are, and so how they are evaluated (all are also evaluated on top-10 ranking).</summary>
public enum LearnerObjective
{
    /// <summary>Predicts the label (a rating or an event strength): RMSE and MAE.</summary>
    Regression,
    /// <summary>Predicts a click probability against a 0/1 label: log-loss and AUC.</summary>
    Classification,
    /// <summary>Scores for ranking only (implicit feedback): top-10 metrics only.</summary>
    Ranking,
}
