using RecoStream.Core.Events;

namespace RecoStream.Core.Learners;

/// <summary>
/// A learner that updates from one event at a time and scores items for a user. Implementations own
/// mutable training state and are driven from the pipeline's single thread.
/// </summary>
public interface IOnlineLearner
{
    /// <summary>The learner's configured name, used as the <c>learner</c> metric label and in the store.</summary>
    string Name { get; }

    /// <summary>The learner kind (<c>Linear</c>, <c>BiasedMF</c>, ...).</summary>
    string Kind { get; }

    /// <summary>What the predictions are, which decides how they are evaluated.</summary>
    LearnerObjective Objective { get; }

    /// <summary>
    /// Whether this learner reads an event's features (its numeric features and the behaviour features the feature stage
    /// adds). When no configured learner does, the feature stage keeps no behaviour statistics and nothing is normalized.
    /// </summary>
    bool ReadsFeatures => true;

    /// <summary>Whether this learner learns from (and is evaluated on) the event; e.g. explicit MF takes ratings only.</summary>
    bool Learns(UserEvent e);

    /// <summary>Predicts the label of an event whose features are already normalized.</summary>
    double Predict(UserEvent e);

    /// <summary>Takes one update towards <paramref name="label"/>; returns the prediction made before it.</summary>
    double Learn(UserEvent e, double label);

    /// <summary>
    /// Scores every item of an append-only catalog for a user, with event features at their mean
    /// (normalized value 0). <paramref name="scores"/> has one entry per item.
    /// </summary>
    void ScoreItems(string user, IReadOnlyList<string> items, Span<float> scores);

    /// <summary>
    /// Scores the catalog for several users: user u's scores are <c>scores[(u * items.Count)..((u + 1) * items.Count)]</c>,
    /// each equal to what <see cref="ScoreItems(string, IReadOnlyList{string}, Span{float})"/> gives that user. Learners
    /// with factor tables read each item row once for all of them.
    /// </summary>
    void ScoreItems(IReadOnlyList<string> users, IReadOnlyList<string> items, Span<float> scores) => ScoreEachUser(this, users, items, scores);

    /// <summary>The scores of several users, one user at a time.</summary>
    static void ScoreEachUser(IOnlineLearner learner, IReadOnlyList<string> users, IReadOnlyList<string> items, Span<float> scores)
    {
        for (var u = 0; u < users.Count; u++)
        {
            learner.ScoreItems(users[u], items, scores.Slice(u * items.Count, items.Count));
        }
    }

    /// <summary>Scores one user-item pair with event features at their mean.</summary>
    double ScoreItem(string user, string item);

    /// <summary>A copy of the whole state, optimizer state included.</summary>
    LearnerSnapshot Snapshot();

    /// <summary>
    /// A copy for the next checkpoint: like <see cref="Snapshot"/>, except that keyed row tables hold only the rows changed
    /// since the previous call (the store keeps the others). Learners without row tables copy everything. The changed
    /// rows are not copied: each is read from the table (or from a copy made when the row changed since) when the
    /// snapshot's <see cref="RowSet.Row"/> is called; call each set's <see cref="RowSet.Release"/> once it is written.
    /// </summary>
    LearnerSnapshot SnapshotChanges() => Snapshot();

    /// <summary>The learner's keyed tables (none for learners over hashed features).</summary>
    IReadOnlyList<RowTableStatistics> RowTables => [];

    /// <summary>Lets the learner keep rows beyond its hot set in the store; learners without row tables ignore it.</summary>
    void AttachRowStore(IRowStore store)
    {
    }

    /// <summary>Replaces the state with a snapshot's; refuses one written with incompatible settings.</summary>
    void Restore(LearnerSnapshot snapshot);
}
