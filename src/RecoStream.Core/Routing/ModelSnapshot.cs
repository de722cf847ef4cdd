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
    /// Once the snapshot is written and no longer read: a snapshot of changes reads the learners' changed rows and the
    /// users' changed items from the state until then (<see cref="ModelState.SnapshotChanges"/>).
    /// </summary>
    public void Release()
    {
        History.Release?.Invoke();
        foreach (var rows in Learners.SelectMany(l => l.State.Rows.Values))
        {
            rows.Release?.Invoke();
        }
    }

    /// <summary>
    /// Rows and users' items that the state copied aside while this snapshot was written, as it changed them before their
    /// chunk was stored (0 for a snapshot whose rows were copied when taken).
    /// </summary>
    public int CopiedAside() =>
        (History.Progress?.Kept ?? 0) + Learners.SelectMany(l => l.State.Rows.Values).Sum(rows => rows.Progress?.Kept ?? 0);
}

/// <summary>One learner's state and its prequential totals.</summary>
public sealed record LearnerEntry(string Name, LearnerSnapshot State, EvaluatorSnapshot Evaluator);
