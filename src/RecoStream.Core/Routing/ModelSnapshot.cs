using RecoStream.Core.Evaluation;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;
using RecoStream.Core.Ranking;

namespace RecoStream.Core.Routing;

/// <summary>An immutable copy of <see cref="ModelState"/>: what one checkpoint stores.</summary>
public sealed record ModelSnapshot(
    long LinesConsumed,
    long EventsApplied,
    NormalizerSnapshot Normalizer,
    LinearSnapshot Linear,
    CatalogSnapshot Catalog,
    HistorySnapshot History,
    EvaluatorSnapshot Evaluator);
