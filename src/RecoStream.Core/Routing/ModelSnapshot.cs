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
    public int CopiedAside() => Progresses().Sum(p => p.Kept);

    /// <summary>
    /// The copies of <see cref="CopiedAside"/> held now: each is dropped once the chunk it was written into is stored (the
    /// writer writes a row copied aside right after the next chunk, ahead of order).
    /// </summary>
    public int HeldAside() => Progresses().Sum(p => p.Holding);

    /// <summary>The sum over the tables of the most copies each held at once while this snapshot was written.</summary>
    public int MostHeldAside() => Progresses().Sum(p => p.MostHeld);

    private IEnumerable<IWriteProgress> Progresses() =>
        Learners.SelectMany(l => l.State.Rows.Values).Select(rows => rows.Progress).Append(History.Progress).OfType<IWriteProgress>();
}

/// <summary>One learner's state and its prequential totals.</summary>
public sealed record LearnerEntry(string Name, LearnerSnapshot State, EvaluatorSnapshot Evaluator);
