using RecoStream.Core.Evaluation;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;
using RecoStream.Core.Ranking;

namespace RecoStream.Core.Routing;

/// <summary>
/// Everything the worker learns and must keep across a restart: feature statistics, every learner (one serves,
/// the others learn in its shadow) with its prequential totals, the item catalog, the users' interaction
/// histories and the input position.
/// </summary>
public sealed class ModelState
{
    private readonly LearnerSlot[] _learners;
    private readonly System.Collections.Concurrent.ConcurrentQueue<Action> _pending = new();
    private volatile LearnerSlot _serving;

    public ModelState(FeatureOptions features, IReadOnlyList<IOnlineLearner> learners, string servingLearner, int maxInteractionsPerUser,
        Preprocessing? preprocessing = null, int maxUsersRemembered = 0)
    {
        if (learners.Count == 0)
        {
            throw new ArgumentException("at least one learner is needed", nameof(learners));
        }

        Preprocessing = preprocessing ?? new Preprocessing(features);
        _learners = [.. learners.Select(l => new LearnerSlot(l))];
        // The features are computed for the learners that read them; without one, neither they nor their statistics are.
        Preprocessing.FeaturesRead = learners.Any(l => l.ReadsFeatures);
        _serving = _learners.FirstOrDefault(l => l.Name == servingLearner)
                   ?? throw new ArgumentException($"the serving learner '{servingLearner}' is not among the learners", nameof(servingLearner));
        Catalog = new ItemCatalog();
        History = new InteractionHistory(maxInteractionsPerUser, maxUsersRemembered);
    }

    /// <summary>A state with one linear learner named <c>linear</c> (tests and the textbook example).</summary>
    public ModelState(FeatureOptions features, LinearLearnerOptions linear, int maxInteractionsPerUser)
        : this(features, [new LinearLearner(linear)], "linear", maxInteractionsPerUser)
    {
    }

    /// <summary>The preprocessing stages and their state.</summary>
    public Preprocessing Preprocessing { get; }

    /// <summary>The normalize stage (shorthand).</summary>
    public FeatureNormalizer Normalizer => Preprocessing.Normalizer;

    /// <summary>Every learner, in configuration order.</summary>
    public IReadOnlyList<LearnerSlot> Learners => _learners;

    /// <summary>The learner whose scores answer recommend and predict requests (switchable while running).</summary>
    public LearnerSlot Serving => _serving;

    /// <summary>Makes another configured learner the serving one; false when there is none of that name.</summary>
    public bool SwitchServing(string name)
    {
        var slot = _learners.FirstOrDefault(l => l.Name == name);
        if (slot is null)
        {
            return false;
        }

        _serving = slot;
        return true;
    }

    /// <summary>Queues a change to run on the pipeline thread before the next line (learners are not thread-safe).</summary>
    public void OnPipelineThread(Action change) => _pending.Enqueue(change);

    /// <summary>Runs the queued changes; called by the pipeline before each line.</summary>
    public void ApplyPendingChanges()
    {
        while (_pending.TryDequeue(out var change))
        {
            change();
            ChangesApplied++;
        }
    }

    /// <summary>Configuration changes applied by <see cref="ApplyPendingChanges"/> in this process.</summary>
    public long ChangesApplied { get; private set; }

    /// <summary>The serving learner's model (shorthand).</summary>
    public IOnlineLearner Learner => Serving.Learner;

    /// <summary>The serving learner's prequential evaluator (shorthand).</summary>
    public PrequentialEvaluator Evaluator => Serving.Evaluator;

    public ItemCatalog Catalog { get; }

    public InteractionHistory History { get; }

    /// <summary>Input lines consumed over the store's lifetime (events, requests, rejected and blank lines).</summary>
    public long LinesConsumed { get; set; }

    /// <summary>Event time (Unix ms) of the last applied event; 0 before the first. Not checkpointed.</summary>
    public long LastEventTimeMs { get; set; }

    /// <summary>Events applied to the model over the store's lifetime.</summary>
    public long EventsApplied { get; set; }

    /// <summary>
    /// The replayable source being read (with its line 0) or the one restored from the checkpoint; null when none. The
    /// pipeline advances <see cref="PositionLine"/> as it consumes that source's lines.
    /// </summary>
    public SourcePosition? Position { get; set; }

    /// <summary>The last line of <see cref="Position"/>'s source consumed.</summary>
    public long PositionLine { get; set; }

    /// <summary>A consistent copy of the whole state, safe to encode while learning goes on.</summary>
    public ModelSnapshot Snapshot() => Copy(changesOnly: false);

    /// <summary>
    /// A copy for the next checkpoint: as <see cref="Snapshot"/>, but the learners' keyed row tables, the interaction
    /// history and the behaviour statistics hold only the rows, users and items changed since the previous call; the store
    /// already has the others. The changed rows and items are not copied but read when the snapshot is written, from the
    /// state or from copies made when they changed since (copy on write); call <see cref="ModelSnapshot.Release"/> then.
    /// </summary>
    public ModelSnapshot SnapshotChanges() => Copy(changesOnly: true);

    private ModelSnapshot Copy(bool changesOnly) => new(
        LinesConsumed,
        EventsApplied,
        Normalizer.Snapshot(),
        changesOnly ? Preprocessing.SnapshotChanges() : Preprocessing.Snapshot(),
        [.. _learners.Select(l => new LearnerEntry(l.Name, changesOnly ? l.Learner.SnapshotChanges() : l.Learner.Snapshot(), l.Evaluator.Snapshot()))],
        Catalog.Snapshot(),
        changesOnly ? History.SnapshotChanges() : History.Snapshot(),
        Position is null ? null : Position with { Line = PositionLine });

    /// <summary>
    /// Replaces the whole state with a checkpoint's. A configured learner missing from the checkpoint starts
    /// fresh (it was added to the configuration); one stored under the same name must be of the same kind.
    /// </summary>
    public void Restore(ModelSnapshot snapshot)
    {
        foreach (var slot in _learners)
        {
            var stored = snapshot.Learners.FirstOrDefault(l => l.Name == slot.Name);
            if (stored is null)
            {
                continue;
            }

            if (stored.State.Kind != slot.Learner.Kind)
            {
                throw new InvalidOperationException(
                    $"the store holds learner '{slot.Name}' of kind {stored.State.Kind} but RecoStream:Learners:{slot.Name}:Kind is {slot.Learner.Kind}; " +
                    "give the new learner another name or start on a new store");
            }

            slot.Learner.Restore(stored.State);
            slot.Evaluator.Restore(stored.Evaluator);
        }

        Normalizer.Restore(snapshot.Normalizer);
        if (snapshot.Stream is not null)
        {
            Preprocessing.Restore(snapshot.Stream);
        }

        Catalog.Restore(snapshot.Catalog);
        History.Restore(snapshot.History);
        LinesConsumed = snapshot.LinesConsumed;
        EventsApplied = snapshot.EventsApplied;
        Position = snapshot.Position;
        PositionLine = snapshot.Position?.Line ?? 0;
    }
}
