namespace RecoStream.Core.Processing;

/// <summary>The settings of every preprocessing stage.</summary>
public sealed class PreprocessingOptions
{
    public FeatureOptions Features { get; init; } = new();

    public CleaningOptions Cleaning { get; init; } = new();

    public LabelOptions Labels { get; init; } = new();

    public WindowOptions Windows { get; init; } = new();
}

/// <summary>
/// The stages between parsing and learning, and the state they share: validate -> clean -> extract features ->
/// normalize -> window. Their state (event clock, deduplication keys, rate limits, behaviour statistics, key sketch,
/// feature statistics, the open window) is part of the checkpoint.
/// </summary>
public sealed class Preprocessing
{
    public Preprocessing(PreprocessingOptions options, TimeProvider time)
    {
        Options = options;
        Clock = new EventClock(options.Cleaning.AllowedLatenessSeconds * 1000L);
        Validator = new EventValidator(options.Cleaning);
        Cleaner = new StreamCleaner(options.Cleaning, Clock, time);
        Extractor = new FeatureExtractor(options.Features, options.Labels, Clock);
        Normalizer = new FeatureNormalizer(options.Features);
        Windows = new WindowTracker(options.Windows, Clock);
    }

    /// <summary>Default settings with the given feature options and the system clock.</summary>
    public Preprocessing(FeatureOptions features)
        : this(new PreprocessingOptions { Features = features }, TimeProvider.System)
    {
    }

    public PreprocessingOptions Options { get; }

    public EventClock Clock { get; }

    public EventValidator Validator { get; }

    public StreamCleaner Cleaner { get; }

    public FeatureExtractor Extractor { get; }

    public FeatureNormalizer Normalizer { get; }

    public WindowTracker Windows { get; }

    /// <summary>
    /// Whether a learner reads the events' features (true until the model state says otherwise). When none does, the
    /// feature stage keeps no behaviour statistics and the normalize stage leaves the events as they are: computing
    /// what nothing reads would only cost time and memory. <see cref="FeatureOptions.Behaviour"/> still decides for a
    /// model whose learners read features.
    /// </summary>
    public bool FeaturesRead
    {
        get => Extractor.BehaviourRead;
        set
        {
            Extractor.BehaviourRead = value;
            Normalizer.FeaturesRead = value;
        }
    }

    /// <summary>A copy of the stages' state except the normalizer's (which has its own record).</summary>
    public StreamStateSnapshot Snapshot() => Copy(changesOnly: false);

    /// <summary>As <see cref="Snapshot"/>, with only the users' and items' behaviour statistics that changed since the last call.</summary>
    public StreamStateSnapshot SnapshotChanges() => Copy(changesOnly: true);

    private StreamStateSnapshot Copy(bool changesOnly) => new(
        Clock.NewestMs,
        Cleaner.Deduplication.Snapshot(),
        Cleaner.Quarantine.Snapshot(),
        changesOnly ? Extractor.SnapshotChanges() : Extractor.Snapshot(),
        Windows.Snapshot());

    /// <summary>Replaces the stages' state with a checkpoint's.</summary>
    public void Restore(StreamStateSnapshot snapshot)
    {
        Clock.Restore(snapshot.NewestEventMs);
        Cleaner.Deduplication.Restore(snapshot.Deduplication);
        Cleaner.Quarantine.Restore(snapshot.Quarantine);
        Extractor.Restore(snapshot.Behaviour);
        Windows.Restore(snapshot.Window);
    }
}

/// <summary>The preprocessing stages' checkpointed state.</summary>
public sealed record StreamStateSnapshot(
    long NewestEventMs,
    IReadOnlyList<(long Window, ulong[] Keys)> Deduplication,
    IReadOnlyList<QuarantineEntry> Quarantine,
    BehaviourSnapshot Behaviour,
    WindowTrackerSnapshot Window);
