using RecoStream.Core.Evaluation;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;
using RecoStream.Core.Ranking;

namespace RecoStream.Core.Routing;

/// <summary>An immutable copy of <see cref="ModelState"/>: what one checkpoint stores (<see cref="Stream"/> is null in stores written before it existed).</summary>
public sealed record ModelSnapshot(
    long LinesConsumed,
    long EventsApplied,
    NormalizerSnapshot Normalizer,
    StreamStateSnapshot? Stream,
    IReadOnlyList<LearnerEntry> Learners,
    CatalogSnapshot Catalog,
    HistorySnapshot History,
    SourcePosition? Position = null)
{
    /// <summary>
    /// Copies the learners' rows and the users' items that a snapshot taken in place
    /// (<see cref="ModelState.SnapshotChangesInPlace"/>) would read from the tables and the history, so that it stays valid
    /// while the state changes (a checkpoint to be written later).
    /// </summary>
    public void PackRows()
    {
        (History.Users as HistoryInPlace)?.Pack();
        foreach (var learner in Learners)
        {
            foreach (var table in learner.State.Rows.Keys.ToArray())
            {
                learner.State.Rows[table] = learner.State.Rows[table].Packed();
            }
        }
    }
}

/// <summary>One learner's state and its prequential totals.</summary>
public sealed record LearnerEntry(string Name, LearnerSnapshot State, EvaluatorSnapshot Evaluator);
