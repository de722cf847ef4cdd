using RecoStream.Core.Events;

namespace RecoStream.Core.Learners;

/// <summary>
/// A learner that updates from one event at a time and scores items for a user. Implementations own
/// mutable training state and are driven from the pipeline's single thread.
/// </summary>
public interface IOnlineLearner
{
    /// <summary>The learner's name, used as the <c>learner</c> metric label.</summary>
    string Name { get; }

    /// <summary>Predicts the label of an event whose features are already normalized.</summary>
    double Predict(UserEvent e);

    /// <summary>Takes one gradient step towards <paramref name="label"/>; returns the prediction made before the step.</summary>
    double Learn(UserEvent e, double label);

    /// <summary>
    /// Scores every item of an append-only catalog for a user, with event features at their mean
    /// (normalized value 0). <paramref name="scores"/> has one entry per item.
    /// </summary>
    void ScoreItems(string user, IReadOnlyList<string> items, Span<float> scores);

    /// <summary>Scores one user-item pair with event features at their mean.</summary>
    double ScoreItem(string user, string item);
}
