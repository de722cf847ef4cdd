using RecoStream.Core.Evaluation;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;
using RecoStream.Core.Ranking;

namespace RecoStream.Core.Routing;

/// <summary>
/// Everything the worker learns and must keep across a restart: feature statistics, the learner's weights,
/// the item catalog, the users' interaction histories, the prequential totals and the input position.
/// </summary>
public sealed class ModelState
{
    public ModelState(FeatureOptions features, LinearLearnerOptions learner, int maxInteractionsPerUser)
    {
        Normalizer = new FeatureNormalizer(features);
        Learner = new LinearLearner(learner);
        Catalog = new ItemCatalog();
        History = new InteractionHistory(maxInteractionsPerUser);
        Evaluator = new PrequentialEvaluator();
    }

    public FeatureNormalizer Normalizer { get; }

    public LinearLearner Learner { get; }

    public ItemCatalog Catalog { get; }

    public InteractionHistory History { get; }

    public PrequentialEvaluator Evaluator { get; }

    /// <summary>Input lines consumed over the store's lifetime (events, requests, rejected and blank lines).</summary>
    public long LinesConsumed { get; set; }

    /// <summary>Event time (Unix ms) of the last applied event; 0 before the first. Not checkpointed.</summary>
    public long LastEventTimeMs { get; set; }

    /// <summary>Events applied to the model over the store's lifetime.</summary>
    public long EventsApplied { get; set; }

    /// <summary>A consistent copy of the whole state, safe to encode while learning goes on.</summary>
    public ModelSnapshot Snapshot() => new(
        LinesConsumed,
        EventsApplied,
        Normalizer.Snapshot(),
        Learner.Snapshot(),
        Catalog.Snapshot(),
        History.Snapshot(),
        Evaluator.Snapshot());

    /// <summary>Replaces the whole state with a checkpoint's.</summary>
    public void Restore(ModelSnapshot snapshot)
    {
        Learner.Restore(snapshot.Linear);
        Normalizer.Restore(snapshot.Normalizer);
        Catalog.Restore(snapshot.Catalog);
        History.Restore(snapshot.History);
        Evaluator.Restore(snapshot.Evaluator);
        LinesConsumed = snapshot.LinesConsumed;
        EventsApplied = snapshot.EventsApplied;
    }
}
