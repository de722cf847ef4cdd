using Microsoft.Extensions.Configuration;
using RecoStream.Core.Evaluation;
using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;

namespace RecoStream.Worker.Configuration;

/// <summary>
/// All of the worker's settings, read and checked once at start from the <c>RecoStream</c> section
/// (config/appsettings.json, then environment variables such as <c>RecoStream__Storage__Path</c>, then
/// command-line arguments such as <c>--RecoStream:Storage:Path=/tmp/x</c>).
/// </summary>
/// <remarks>
/// A hand-written reader instead of the options binder with DataAnnotations: the binder's messages name
/// neither the full key nor the value (and a value that does not convert throws before validation), while
/// the worker must stop with a message that names the key, the value and what is allowed.
/// </remarks>
internal sealed class WorkerSettings
{
    public const string Section = "RecoStream";

    private const string BindAllowed = "an IP address such as 127.0.0.1, localhost, or * for every interface";

    public required StorageOptions Storage { get; init; }

    public required MetricsOptions Metrics { get; init; }

    public required IngestOptions Ingest { get; init; }

    public required InputLimits Limits { get; init; }

    public required FeatureOptions Features { get; init; }

    public required LabelOptions Labels { get; init; }

    public required CleaningOptions Cleaning { get; init; }

    public required WindowOptions Windows { get; init; }

    /// <summary>The settings of every preprocessing stage, together.</summary>
    public PreprocessingOptions Preprocessing => new() { Features = Features, Cleaning = Cleaning, Labels = Labels, Windows = Windows };

    /// <summary>Every configured learner that is enabled (<c>Learners:NAME:Enabled</c>, default true), in configuration order.</summary>
    public required List<LearnerSettings> Learners { get; init; }

    /// <summary>The name of the learner that answers requests.</summary>
    public required string ServingLearner { get; set; }

    public required ServingOptions Serving { get; init; }

    public required SecurityOptions Security { get; init; }

    public required EvaluationOptions Evaluation { get; init; }

    public required DiagnosticsOptions Diagnostics { get; init; }

    private static List<LearnerSettings> ReadLearners(IConfiguration configuration, SettingsReader r)
    {
        var sections = configuration.GetSection("RecoStream:Learners").GetChildren().ToList();
        if (sections.Count == 0)
        {
            return LearnerSettings.Defaults();
        }

        var learners = new List<LearnerSettings>();
        var disabled = 0;
        foreach (var section in sections)
        {
            var name = section.Key;
            var prefix = "RecoStream:Learners:" + name + ":";
            if (name.StartsWith('~'))
            {
                // The store keeps other per-user state under names starting with '~'.
                r.Missing("RecoStream:Learners:" + name, "a learner name that does not start with '~'");
                continue;
            }

            var kind = r.String(prefix + "Kind", "", k => LearnerSettings.Kinds.Contains(k), string.Join(" or ", LearnerSettings.Kinds));
            if (kind.Length == 0)
            {
                if (configuration[prefix + "Kind"] is null)
                {
                    r.Missing(prefix + "Kind", string.Join(" or ", LearnerSettings.Kinds));
                }

                continue;
            }

            // A disabled learner's settings are still checked, so that enabling it later cannot fail on a typo made now.
            var enabled = r.Bool(prefix + "Enabled", true);
            var mode = r.Enum(prefix + "Mode", LearnerMode.Incremental);
            var window = new WindowedBatchOptions();
            window.Epochs = r.Int(prefix + "Epochs", window.Epochs, 1, 1000);
            window.ReservoirSize = r.Int(prefix + "ReservoirSize", window.ReservoirSize, 0, 10_000_000);
            window.Seed = r.Int(prefix + "WindowSeed", window.Seed, int.MinValue, int.MaxValue);
            var options = ReadLearnerOptions(kind, prefix, r);
            if (enabled)
            {
                learners.Add(new LearnerSettings(name, kind, options, mode, window));
            }
            else
            {
                disabled++;
            }
        }

        if (learners.Count == 0 && disabled > 0)
        {
            r.Missing("RecoStream:Learners", "at least one learner with Enabled true");
        }

        return learners;
    }

    private static object ReadLearnerOptions(string kind, string prefix, SettingsReader r)
    {
        switch (kind)
        {
            case LinearLearner.KindName:
                var linear = new LinearLearnerOptions();
                linear.HashBits = r.Int(prefix + "HashBits", linear.HashBits, 10, 28);
                linear.LearningRate = r.Double(prefix + "LearningRate", linear.LearningRate, 0, 1, minExclusive: true);
                linear.Schedule = r.Enum(prefix + "Schedule", linear.Schedule);
                linear.L2 = r.Double(prefix + "L2", linear.L2, 0, 1e3);
                linear.AdaGrad = r.Bool(prefix + "AdaGrad", linear.AdaGrad);
                return linear;
            case FtrlProximal.KindName:
                var ftrl = new FtrlOptions();
                ftrl.HashBits = r.Int(prefix + "HashBits", ftrl.HashBits, 10, 28);
                ftrl.Alpha = r.Double(prefix + "Alpha", ftrl.Alpha, 0, 100, minExclusive: true);
                ftrl.Beta = r.Double(prefix + "Beta", ftrl.Beta, 0, 100);
                ftrl.L1 = r.Double(prefix + "L1", ftrl.L1, 0, 1e6);
                ftrl.L2 = r.Double(prefix + "L2", ftrl.L2, 0, 1e6);
                ftrl.PositiveTypes = r.String(prefix + "PositiveTypes", ftrl.PositiveTypes, AreEventTypes, TypesAllowed);
                ftrl.NegativeTypes = r.String(prefix + "NegativeTypes", ftrl.NegativeTypes, AreEventTypes, TypesAllowed);
                return ftrl;
            case ImplicitMatrixFactorization.KindName:
                var implicitMf = new ImplicitMatrixFactorizationOptions();
                implicitMf.Rank = r.Int(prefix + "Rank", implicitMf.Rank, 1, 1024);
                implicitMf.LearningRate = r.Double(prefix + "LearningRate", implicitMf.LearningRate, 0, 10, minExclusive: true);
                implicitMf.Regularization = r.Double(prefix + "Regularization", implicitMf.Regularization, 0, 10);
                implicitMf.InitialStd = r.Double(prefix + "InitialStd", implicitMf.InitialStd, 0, 10);
                implicitMf.FullStrength = r.Double(prefix + "FullStrength", implicitMf.FullStrength, 0, 1e6, minExclusive: true);
                implicitMf.PositiveRatingThreshold = r.Double(prefix + "PositiveRatingThreshold", implicitMf.PositiveRatingThreshold, -1e6, 1e6);
                implicitMf.Seed = r.Int(prefix + "Seed", implicitMf.Seed, int.MinValue, int.MaxValue);
                implicitMf.Rows = ReadRows(r, prefix + "Rows:");
                return implicitMf;
            default:
                var mf = new BiasedMatrixFactorizationOptions();
                mf.Rank = r.Int(prefix + "Rank", mf.Rank, 1, 1024);
                mf.LearningRate = r.Double(prefix + "LearningRate", mf.LearningRate, 0, 10, minExclusive: true);
                mf.Regularization = r.Double(prefix + "Regularization", mf.Regularization, 0, 10);
                mf.BiasLearningRate = r.Double(prefix + "BiasLearningRate", mf.BiasLearningRate, 0, 10, minExclusive: true);
                mf.BiasRegularization = r.Double(prefix + "BiasRegularization", mf.BiasRegularization, 0, 10);
                mf.SessionBiasSeconds = r.Double(prefix + "SessionBiasSeconds", mf.SessionBiasSeconds, 0, 1e9);
                mf.SessionBiasLearningRate = r.Double(prefix + "SessionBiasLearningRate", mf.SessionBiasLearningRate, 0, 10, minExclusive: true);
                mf.SessionBiasRegularization = r.Double(prefix + "SessionBiasRegularization", mf.SessionBiasRegularization, 0, 100);
                mf.InitialStd = r.Double(prefix + "InitialStd", mf.InitialStd, 0, 10);
                mf.AdaGradEpsilon = r.Double(prefix + "AdaGradEpsilon", mf.AdaGradEpsilon, 0, 100, minExclusive: true);
                mf.MinRating = r.Double(prefix + "MinRating", mf.MinRating, -1e6, 1e6);
                mf.MaxRating = r.Double(prefix + "MaxRating", mf.MaxRating, -1e6, 1e6);
                mf.Seed = r.Int(prefix + "Seed", mf.Seed, int.MinValue, int.MaxValue);
                mf.Rows = ReadRows(r, prefix + "Rows:");
                if (mf.MaxRating <= mf.MinRating)
                {
                    r.Missing(prefix + "MaxRating", $"a number greater than {prefix}MinRating ({mf.MinRating})");
                }

                return mf;
        }
    }

    /// <summary>How a factorization learner keeps its rows (<c>...:Rows:HotRows</c>, <c>TtlSeconds</c>, <c>AdmitAfter</c>, <c>ExpiryScanRows</c>).</summary>
    private static RowTableOptions ReadRows(SettingsReader r, string prefix)
    {
        var rows = new RowTableOptions();
        rows.HotRows = r.Int(prefix + "HotRows", rows.HotRows, 0, int.MaxValue);
        if (rows.HotRows is > 0 and < RowTableOptions.MinHotRows)
        {
            r.Missing(prefix + "HotRows", $"0 (every row in memory) or at least {RowTableOptions.MinHotRows}");
        }

        rows.TtlSeconds = r.Double(prefix + "TtlSeconds", rows.TtlSeconds, 0, 1e12);
        rows.AdmitAfter = r.Int(prefix + "AdmitAfter", rows.AdmitAfter, 1, 255);
        rows.ExpiryScanRows = r.Int(prefix + "ExpiryScanRows", rows.ExpiryScanRows, 1, int.MaxValue);
        return rows;
    }

    private const string TypesAllowed = "comma-separated event types among view, click, add_to_cart, purchase, rating";

    private static EventType ParseType(string name) => EventTypeNames.Parse(System.Text.Encoding.UTF8.GetBytes(name.Trim()));

    private static bool AreEventTypes(string names) => names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .All(n => EventTypeNames.Parse(System.Text.Encoding.UTF8.GetBytes(n)) != EventType.Unknown);

    /// <summary>Reads every setting; <paramref name="errors"/> lists what is wrong (empty when all is well).</summary>
    public static WorkerSettings Read(IConfiguration configuration, out IReadOnlyList<string> errors)
    {
        var r = new SettingsReader(configuration);

        var storage = new StorageOptions();
        storage.Path = r.String("RecoStream:Storage:Path", storage.Path, p => !string.IsNullOrWhiteSpace(p) && p.IndexOfAny(Path.GetInvalidPathChars()) < 0,
            "a non-empty folder path");
        storage.CheckpointEveryEvents = r.Int("RecoStream:Storage:CheckpointEveryEvents", storage.CheckpointEveryEvents, 1, int.MaxValue);
        storage.SyncWrites = r.Bool("RecoStream:Storage:SyncWrites", storage.SyncWrites);
        storage.CheckpointEverySeconds = r.Int("RecoStream:Storage:CheckpointEverySeconds", storage.CheckpointEverySeconds, 0, 86_400 * 7, "0 turns the time trigger off");
        storage.DurableFlush = r.Bool("RecoStream:Storage:DurableFlush", storage.DurableFlush);
        storage.SnapshotPath = r.String("RecoStream:Storage:SnapshotPath", storage.SnapshotPath,
            p => !string.IsNullOrWhiteSpace(p) && p.IndexOfAny(Path.GetInvalidPathChars()) < 0, "a non-empty folder path");
        storage.KeepCheckpoints = r.Int("RecoStream:Storage:KeepCheckpoints", storage.KeepCheckpoints, 1, 100);
        storage.BlockCacheMiB = r.Int("RecoStream:Storage:BlockCacheMiB", storage.BlockCacheMiB, 0, 1 << 20);

        var metrics = new MetricsOptions();
        metrics.Host = r.String("RecoStream:Metrics:Host", metrics.Host, Bind.IsValid, BindAllowed);
        metrics.Port = r.Int("RecoStream:Metrics:Port", metrics.Port, 0, 65535, "0 turns the endpoint off");

        var ingest = new IngestOptions();
        ingest.QueueCapacity = r.Int("RecoStream:Ingest:QueueCapacity", ingest.QueueCapacity, 1, 1 << 24);
        ingest.FullMode = r.Enum("RecoStream:Ingest:FullMode", ingest.FullMode);
        var tcp = ingest.Tcp;
        tcp.Host = r.String("RecoStream:Ingest:Tcp:Host", tcp.Host, Bind.IsValid, BindAllowed);
        tcp.Port = r.Int("RecoStream:Ingest:Tcp:Port", tcp.Port, 0, 65535, "0 turns the TCP listener off");
        tcp.MaxConnections = r.Int("RecoStream:Ingest:Tcp:MaxConnections", tcp.MaxConnections, 1, 100_000);
        tcp.IdleTimeoutSeconds = r.Int("RecoStream:Ingest:Tcp:IdleTimeoutSeconds", tcp.IdleTimeoutSeconds, 0, 86_400 * 7, "0 never times out");
        tcp.MaxInFlightPerConnection = r.Int("RecoStream:Ingest:Tcp:MaxInFlightPerConnection", tcp.MaxInFlightPerConnection, 1, 1 << 20);

        var limits = new InputLimits();
        limits.MaxLineBytes = r.Int("RecoStream:Ingest:MaxLineBytes", limits.MaxLineBytes, 64, 16 << 20);
        limits.MaxIdLength = r.Int("RecoStream:Ingest:MaxIdLength", limits.MaxIdLength, 1, 4096);
        limits.MaxFeaturesPerEvent = r.Int("RecoStream:Ingest:MaxFeaturesPerEvent", limits.MaxFeaturesPerEvent, 0, 4096);
        limits.DefaultK = r.Int("RecoStream:Serving:DefaultK", limits.DefaultK, 1, 100_000);
        limits.MaxK = r.Int("RecoStream:Serving:MaxK", limits.MaxK, 1, 100_000);
        var features = new FeatureOptions();
        features.Normalize = r.Bool("RecoStream:Features:Normalize", features.Normalize);
        features.Clip = r.Double("RecoStream:Features:Clip", features.Clip, 0, 1e6, minExclusive: true);
        features.MaxDistinctFeatures = r.Int("RecoStream:Features:MaxDistinctFeatures", features.MaxDistinctFeatures, 0, 1 << 20);
        features.DefaultMode = r.Enum("RecoStream:Features:DefaultMode", features.DefaultMode);
        features.Behaviour = r.Bool("RecoStream:Features:Behaviour", features.Behaviour);
        features.BehaviourMaxKeys = r.Int("RecoStream:Features:BehaviourMaxKeys", features.BehaviourMaxKeys, 0, int.MaxValue);
        features.Modes = configuration.GetSection("RecoStream:Features:Modes").GetChildren()
            .ToDictionary(c => c.Key, c => r.Enum("RecoStream:Features:Modes:" + c.Key, NormalizationMode.ZScore), StringComparer.Ordinal);

        var cleaning = new CleaningOptions();
        const string C = "RecoStream:Cleaning:";
        cleaning.AllowedLatenessSeconds = r.Int(C + "AllowedLatenessSeconds", cleaning.AllowedLatenessSeconds, 0, 86_400 * 365);
        cleaning.Late = r.Enum(C + "Late", cleaning.Late);
        cleaning.MaxFutureSeconds = r.Int(C + "MaxFutureSeconds", cleaning.MaxFutureSeconds, 0, 86_400 * 365 * 50, "0 turns the check off");
        cleaning.MinRating = r.Double(C + "MinRating", cleaning.MinRating, -1e6, 1e6);
        cleaning.MaxRating = r.Double(C + "MaxRating", cleaning.MaxRating, -1e6, 1e6);
        cleaning.OutOfRange = r.Enum(C + "OutOfRange", cleaning.OutOfRange);
        cleaning.Deduplicate = r.Bool(C + "Deduplicate", cleaning.Deduplicate);
        cleaning.DeduplicateWindowSeconds = r.Int(C + "DeduplicateWindowSeconds", cleaning.DeduplicateWindowSeconds, 1, 86_400 * 30);
        cleaning.DeduplicateMaxKeys = r.Int(C + "DeduplicateMaxKeys", cleaning.DeduplicateMaxKeys, 1, 1 << 28);
        cleaning.QuarantineEventsPerSecond = r.Int(C + "QuarantineEventsPerSecond", cleaning.QuarantineEventsPerSecond, 0, 1_000_000, "0 turns quarantine off");
        cleaning.QuarantineSeconds = r.Int(C + "QuarantineSeconds", cleaning.QuarantineSeconds, 1, 86_400 * 30);
        var known = r.String(C + "KnownTypes", string.Join(",", cleaning.KnownTypes.Select(EventTypeNames.ToWireName)), AreEventTypes, TypesAllowed);
        cleaning.KnownTypes = [.. known.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseType)];
        cleaning.TypeMap = configuration.GetSection(C + "TypeMap").GetChildren()
            .ToDictionary(c => c.Key, c => ParseType(r.String(C + "TypeMap:" + c.Key, "view", n => !n.Contains(',') && AreEventTypes(n), TypesAllowed.Replace("comma-separated event types", "one event type"))), StringComparer.Ordinal);
        if (cleaning.MaxRating < cleaning.MinRating)
        {
            r.Missing(C + "MaxRating", $"a number at least {C}MinRating ({cleaning.MinRating})");
        }

        var windows = new WindowOptions();
        windows.Events = r.Int("RecoStream:Windows:Events", windows.Events, 1, 10_000_000);
        windows.EventSeconds = r.Int("RecoStream:Windows:EventSeconds", windows.EventSeconds, 0, 86_400 * 365, "0 closes windows by count only");
        windows.QuietSeconds = r.Double("RecoStream:Windows:QuietSeconds", windows.QuietSeconds, 0, 86_400);

        var labels = new LabelOptions();
        labels.View = r.Double("RecoStream:Labels:View", labels.View, -1e6, 1e6);
        labels.Click = r.Double("RecoStream:Labels:Click", labels.Click, -1e6, 1e6);
        labels.AddToCart = r.Double("RecoStream:Labels:AddToCart", labels.AddToCart, -1e6, 1e6);
        labels.Purchase = r.Double("RecoStream:Labels:Purchase", labels.Purchase, -1e6, 1e6);
        labels.HalfLifeSeconds = r.Int("RecoStream:Labels:HalfLifeSeconds", labels.HalfLifeSeconds, 0, 86_400 * 3650, "0 keeps full strength");

        var learners = ReadLearners(configuration, r);
        var servingLearner = r.String("RecoStream:Serving:Learner", learners.Count > 0 ? learners[0].Name : "implicit",
            n => learners.Any(l => l.Name == n), "the name of a configured learner that is enabled (" + string.Join(", ", learners.Select(l => l.Name)) + ")");

        var serving = new ServingOptions();
        serving.MaxInteractionsPerUser = r.Int("RecoStream:Serving:MaxInteractionsPerUser", serving.MaxInteractionsPerUser, 1, 1_000_000);
        serving.MaxUsers = r.Int("RecoStream:Serving:MaxUsers", serving.MaxUsers, 0, int.MaxValue);

        var evaluation = new EvaluationOptions();
        evaluation.RankingEvery = r.Int("RecoStream:Evaluation:RankingEvery", evaluation.RankingEvery, 0, int.MaxValue, "0 turns ranking evaluation off");
        evaluation.PositiveRatingThreshold = r.Double("RecoStream:Evaluation:PositiveRatingThreshold", evaluation.PositiveRatingThreshold, -1e6, 1e6);

        var security = new SecurityOptions();
        security.Token = r.String("RecoStream:Security:Token", security.Token, t => t.Length == 0 || (t.Length >= 8 && !t.Any(char.IsWhiteSpace)),
            "empty (off) or at least 8 characters without spaces", secret: true);

        var diagnostics = new DiagnosticsOptions();
        diagnostics.ProgressIntervalSeconds = r.Int("RecoStream:Diagnostics:ProgressIntervalSeconds", diagnostics.ProgressIntervalSeconds, 0, 86_400,
            "0 turns progress lines off");
        diagnostics.RejectionLogsPerSecond = r.Int("RecoStream:Diagnostics:RejectionLogsPerSecond", diagnostics.RejectionLogsPerSecond, 0, 100_000,
            "0 logs no rejected lines (they are still counted)");
        diagnostics.LogFormat = r.Enum("RecoStream:Diagnostics:LogFormat", diagnostics.LogFormat);

        r.RejectUnknownKeys(Section);
        var all = new List<string>(r.Errors);
        if (limits.DefaultK > limits.MaxK)
        {
            all.Add($"RecoStream:Serving:DefaultK: '{limits.DefaultK}' is not allowed; allowed: at most RecoStream:Serving:MaxK ({limits.MaxK})");
        }

        errors = all;
        return new WorkerSettings
        {
            Storage = storage,
            Metrics = metrics,
            Ingest = ingest,
            Limits = limits,
            Features = features,
            Labels = labels,
            Cleaning = cleaning,
            Windows = windows,
            Learners = learners,
            ServingLearner = servingLearner,
            Serving = serving,
            Security = security,
            Evaluation = evaluation,
            Diagnostics = diagnostics,
        };
    }
}
