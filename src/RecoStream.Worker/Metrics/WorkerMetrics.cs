using System.Reflection;
using Prometheus;
using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;
using RecoStream.Core.Routing;

namespace RecoStream.Worker.Metrics;

/// <summary>
/// The worker's Prometheus collectors. Labelled children are resolved once here, never on the hot path.
/// </summary>
internal sealed class WorkerMetrics
{
    private readonly Counter.Child[] _rejectedByReason;
    private readonly Counter.Child[] _requestsByOp;
    private readonly Counter _received;
    private readonly Counter _dropped;
    private readonly LearnerMetrics[] _learners;
    private readonly Counter.Child[] _windowsByTrigger;
    private readonly Counter _lateAdmitted;
    private readonly Counter _clamped;
    private readonly Counter _quarantines;
    private readonly Counter _dedupForgotten;
    private readonly Counter _dedupUnchecked;
    private readonly Gauge _dedupKeys;
    private readonly Gauge _watermark;
    private readonly Gauge _openWindowEvents;
    private readonly Gauge _distinctKeys;
    private readonly (Gauge.Child Gauge, int Bits)[] _collisions;
    private readonly Gauge _rows;
    private readonly Gauge _rowsInMemory;
    private readonly Gauge _rowHitRatio;
    private readonly Counter _rowLookups;
    private readonly Counter _rowEvictions;
    private readonly Counter _rowExpiries;
    private readonly Counter _rowsNotAdmitted;
    private readonly Counter _historyUsersDropped;
    private readonly Counter _behaviourKeysDropped;

    public WorkerMetrics(ModelState state)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        // No tracing here: the default exemplar (read from the current Activity on every observation) is always empty.
        factory.ExemplarBehavior = new ExemplarBehavior { DefaultExemplarProvider = static (_, _) => Exemplar.None };

        _historyUsersDropped = factory.CreateCounter("recostream_history_users_dropped_total",
            "Users whose recent items were forgotten to stay within RecoStream:Serving:MaxUsers.");
        _behaviourKeysDropped = factory.CreateCounter("recostream_behaviour_keys_dropped_total",
            "Users and items whose behaviour statistics were dropped to stay within RecoStream:Features:BehaviourMaxKeys.");
        GaugeConfiguration Table() => new() { LabelNames = ["learner", "table"] };
        _rows = factory.CreateGauge("recostream_rows", "Rows of a learner's keyed table (users or items), in memory and in the store.", Table());
        _rowsInMemory = factory.CreateGauge("recostream_rows_in_memory", "Rows of a keyed table held in memory (the hot set).", Table());
        _rowHitRatio = factory.CreateGauge("recostream_rows_hot_set_hit_ratio",
            "Share of a keyed table's lookups answered from memory (this process; 1 when every row is in memory).", Table());
        _rowLookups = factory.CreateCounter("recostream_row_lookups_total",
            "Lookups of a keyed table's rows, by result: hit (in memory) or miss (read from the store, found or not).",
            new CounterConfiguration { LabelNames = ["learner", "table", "result"] });
        _rowEvictions = factory.CreateCounter("recostream_row_evictions_total", "Rows evicted from the hot set to the store.",
            new CounterConfiguration { LabelNames = ["learner", "table"] });
        _rowExpiries = factory.CreateCounter("recostream_row_expiries_total", "Rows removed after being inactive longer than the TTL.",
            new CounterConfiguration { LabelNames = ["learner", "table"] });
        _rowsNotAdmitted = factory.CreateCounter("recostream_rows_not_admitted_total",
            "Updates dropped because their id had not been seen AdmitAfter times yet.", new CounterConfiguration { LabelNames = ["learner", "table"] });

        _received = factory.CreateCounter("recostream_events_received_total",
            "Event lines received from a source (applied or rejected; requests and blank lines excluded).",
            new CounterConfiguration { LabelNames = ["source"] });
        _dropped = factory.CreateCounter("recostream_events_dropped_total",
            "Event lines dropped because the ingest queue was full (FullMode DropNewest).",
            new CounterConfiguration { LabelNames = ["source"] });

        var rejected = factory.CreateCounter("recostream_events_rejected_total",
            "Input lines rejected, by reason.", new CounterConfiguration { LabelNames = ["reason"] });
        _rejectedByReason = new Counter.Child[RejectReasons.All.Count];
        foreach (var reason in RejectReasons.All)
        {
            _rejectedByReason[(int)reason] = rejected.WithLabels(RejectReasons.Label(reason));
        }

        var updates = factory.CreateCounter("recostream_model_updates_total",
            "Events each learner has been updated with (this process).", new CounterConfiguration { LabelNames = ["learner"] });
        var rmse = factory.CreateGauge("recostream_prequential_rmse",
            "Root mean squared error of predictions made before each update (test-then-train), since the store was created.",
            new GaugeConfiguration { LabelNames = ["learner"] });
        var mae = factory.CreateGauge("recostream_prequential_mae",
            "Mean absolute error of predictions made before each update (test-then-train), since the store was created.",
            new GaugeConfiguration { LabelNames = ["learner"] });
        var windowed = factory.CreateGauge("recostream_learner_windowed_batch",
            "1 for a learner in windowed-batch mode, 0 in incremental mode.", new GaugeConfiguration { LabelNames = ["learner"] });
        var serving = factory.CreateGauge("recostream_learner_serving",
            "1 for the learner that answers recommend and predict requests, 0 for shadow learners.", new GaugeConfiguration { LabelNames = ["learner"] });
        var recall = factory.CreateGauge("recostream_prequential_recall_at_10",
            "Share of ranked positive events whose item was in the learner's top 10 for the user, ranked before learning it.",
            new GaugeConfiguration { LabelNames = ["learner"] });
        var ndcg = factory.CreateGauge("recostream_prequential_ndcg_at_10",
            "Mean NDCG@10 of ranked positive events (one relevant item each), ranked before learning them.",
            new GaugeConfiguration { LabelNames = ["learner"] });
        var logLoss = factory.CreateGauge("recostream_prequential_log_loss",
            "Mean log-loss of click probabilities predicted before each update (classification learners).",
            new GaugeConfiguration { LabelNames = ["learner"] });
        var auc = factory.CreateGauge("recostream_prequential_auc",
            "AUC of click probabilities over the last 10,000 classified events (classification learners).",
            new GaugeConfiguration { LabelNames = ["learner"] });
        var nonZero = factory.CreateGauge("recostream_learner_nonzero_weights",
            "Coordinates with a non-zero weight (FTRL learners; L1 keeps the rest at zero).",
            new GaugeConfiguration { LabelNames = ["learner"] });
        Gauge Window(string name, string help) => factory.CreateGauge(name, help + " Over the last 10,000 such events.",
            new GaugeConfiguration { LabelNames = ["learner"] });
        var rmseWindow = Window("recostream_prequential_rmse_window", "Root mean squared prequential error.");
        var maeWindow = Window("recostream_prequential_mae_window", "Mean absolute prequential error.");
        var recallWindow = Window("recostream_prequential_recall_at_10_window", "Recall@10 of ranked positive events.");
        var ndcgWindow = Window("recostream_prequential_ndcg_at_10_window", "NDCG@10 of ranked positive events.");
        var logLossWindow = Window("recostream_prequential_log_loss_window", "Mean log-loss of classified events.");
        _learners = [.. state.Learners.Select(slot => new LearnerMetrics(slot, updates.WithLabels(slot.Name), serving.WithLabels(slot.Name), windowed.WithLabels(slot.Name),
            new LearnerQualityGauges(rmse.WithLabels(slot.Name), mae.WithLabels(slot.Name), recall.WithLabels(slot.Name), ndcg.WithLabels(slot.Name),
                logLoss.WithLabels(slot.Name), auc.WithLabels(slot.Name), nonZero.WithLabels(slot.Name), rmseWindow.WithLabels(slot.Name),
                maeWindow.WithLabels(slot.Name), recallWindow.WithLabels(slot.Name), ndcgWindow.WithLabels(slot.Name), logLossWindow.WithLabels(slot.Name))))];
        PrequentialAbsoluteError = factory.CreateHistogram("recostream_prequential_absolute_error",
            "Absolute error of each prediction of the serving learner made before its update.",
            new HistogramConfiguration
            {
                LabelNames = ["learner"],
                Buckets = [.. AbsoluteErrorBuckets],
            }).WithLabels(state.Serving.Name);

        var requests = factory.CreateCounter("recostream_requests_total",
            "Requests answered, by operation.", new CounterConfiguration { LabelNames = ["op"] });
        _requestsByOp = new Counter.Child[Enum.GetValues<RequestOp>().Length];
        foreach (var op in Enum.GetValues<RequestOp>())
        {
            _requestsByOp[(int)op] = requests.WithLabels(op.ToString().ToLowerInvariant());
        }

        TcpConnections = factory.CreateGauge("recostream_tcp_connections", "Open TCP connections.");
        TcpConnectionsRefused = factory.CreateCounter("recostream_tcp_connections_refused_total",
            "TCP connections refused, by reason.", new CounterConfiguration { LabelNames = ["reason"] });
        RecommendDuration = factory.CreateHistogram("recostream_recommend_duration_seconds",
            "Time to compute a recommend answer.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.00001, 4, 10) });

        Checkpoints = factory.CreateCounter("recostream_checkpoints_total", "Checkpoints written.");
        CheckpointFailures = factory.CreateCounter("recostream_checkpoint_failures_total", "Checkpoints that failed to write.");
        CheckpointDuration = factory.CreateHistogram("recostream_checkpoint_duration_seconds",
            "Time to snapshot, encode and durably write a checkpoint.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });
        CheckpointPause = factory.CreateHistogram("recostream_checkpoint_pause_seconds",
            "Time ingest paused for a checkpoint: the copy of the state on the pipeline thread (encoding and writing follow in the background, except for flush, snapshot and shutdown).",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });
        CheckpointSize = factory.CreateGauge("recostream_checkpoint_size_bytes", "Encoded size of the last checkpoint.");
        LastCheckpoint = factory.CreateGauge("recostream_checkpoint_last_success_timestamp_seconds",
            "Unix time of the last successful checkpoint.");
        CheckpointAge = factory.CreateGauge("recostream_checkpoint_age_seconds",
            "Seconds since the last successful checkpoint (of this run, or the one restored at start).");

        PipelineLatency = factory.CreateHistogram("recostream_pipeline_latency_seconds",
            "Time from a line's arrival at its source to the model updated with it.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.00001, 2.5, 14) });
        Freshness = factory.CreateGauge("recostream_freshness_seconds",
            "Wall-clock time now minus the event time of the last applied event (event time is the producer's clock).");
        StoreSize = factory.CreateGauge("recostream_store_size_bytes", "Size of the RocksDB store folder on disk.");
        QueueDepth = factory.CreateGauge("recostream_queue_depth", "Lines waiting in the ingest queue.");
        CatalogItems = factory.CreateGauge("recostream_catalog_items", "Distinct items seen.");
        KnownUsers = factory.CreateGauge("recostream_users", "Distinct users seen.");
        var windows = factory.CreateCounter("recostream_windows_closed_total",
            "Tumbling windows closed (windowed-batch learners train at each), by trigger: count, event_time, quiet, end.",
            new CounterConfiguration { LabelNames = ["trigger"] });
        _windowsByTrigger = [.. Enum.GetValues<WindowTrigger>().Select(t => windows.WithLabels(TriggerLabel(t)))];
        _openWindowEvents = factory.CreateGauge("recostream_window_open_events", "Events in the open window.");
        _watermark = factory.CreateGauge("recostream_event_time_watermark_seconds",
            "The watermark (newest accepted event time minus the allowed lateness), Unix seconds; events before it are late.");
        _lateAdmitted = factory.CreateCounter("recostream_late_events_admitted_total", "Late events admitted (Cleaning:Late = Admit); dropped ones are rejections.");
        _clamped = factory.CreateCounter("recostream_ratings_clamped_total", "Out-of-range ratings clamped into the scale (Cleaning:OutOfRange = Clamp).");
        _quarantines = factory.CreateCounter("recostream_quarantines_total", "Users quarantined for sending too many events per second of event time.");
        _dedupKeys = factory.CreateGauge("recostream_dedup_keys", "Event keys remembered for duplicate detection.");
        _dedupForgotten = factory.CreateCounter("recostream_dedup_keys_forgotten_total",
            "Event keys forgotten early because Cleaning:DeduplicateMaxKeys was reached.");
        _dedupUnchecked = factory.CreateCounter("recostream_dedup_unchecked_total",
            "Admitted late events whose deduplication window was already forgotten, so they could not be checked.");
        _distinctKeys = factory.CreateGauge("recostream_feature_keys_distinct",
            "Estimated distinct user and item ids plus feature names seen (HyperLogLog, about 0.8% error).");
        var collisions = factory.CreateGauge("recostream_feature_hash_collisions_estimated",
            "Expected keys that share a hashed weight with a key seen before them (distinct keys minus occupied slots), from the distinct keys and the learner's HashBits.",
            new GaugeConfiguration { LabelNames = ["learner"] });
        _collisions = [.. state.Learners
            .Select(slot => (slot, hashed: ((slot.Learner as WindowedBatchLearner)?.Inner ?? slot.Learner) as IHashedLearner))
            .Where(x => x.hashed is not null)
            .Select(x => (collisions.WithLabels(x.slot.Name), x.hashed!.HashBits))];

        var informational = typeof(WorkerMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        factory.CreateGauge("recostream_build_info", "Build information; the value is always 1.",
            new GaugeConfiguration { LabelNames = ["version", "commit"] })
            .WithLabels(plus < 0 ? informational : informational[..plus], plus < 0 ? "unknown" : informational[(plus + 1)..]).Set(1);
        // Process CPU, memory, GC and thread-pool series (process_*, dotnet_*) for the dashboard's memory panels.
        DotNetStats.Register(Registry);
    }

    /// <summary>The registry the metrics endpoint serves.</summary>
    public CollectorRegistry Registry { get; } = Prometheus.Metrics.NewCustomRegistry();

    /// <summary>The upper bounds of <see cref="PrequentialAbsoluteError"/>'s buckets.</summary>
    public static IReadOnlyList<double> AbsoluteErrorBuckets { get; } = [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 1000];

    /// <summary>Observed a batch at a time (<see cref="RecoStream.Core.Evaluation.HistogramBatch"/>).</summary>
    public Histogram.Child PrequentialAbsoluteError { get; }

    public Gauge TcpConnections { get; }

    public Counter TcpConnectionsRefused { get; }

    public Histogram RecommendDuration { get; }

    public Counter Checkpoints { get; }

    public Counter CheckpointFailures { get; }

    public Histogram CheckpointDuration { get; }

    public Histogram CheckpointPause { get; }

    public Gauge CheckpointSize { get; }

    public Gauge LastCheckpoint { get; }

    public Gauge CheckpointAge { get; }

    public Histogram PipelineLatency { get; }

    public Gauge Freshness { get; }

    public Gauge StoreSize { get; }

    public Gauge QueueDepth { get; }

    public Gauge CatalogItems { get; }

    public Gauge KnownUsers { get; }

    /// <summary>Brings the per-learner series up to date; called when Prometheus scrapes.</summary>
    public void UpdateLearners(ModelState state)
    {
        _historyUsersDropped.IncTo(state.History.UsersDropped);
        foreach (var learner in _learners)
        {
            learner.Update(ReferenceEquals(learner.Slot, state.Serving));
            foreach (var table in learner.Slot.Learner.RowTables)
            {
                string[] labels = [learner.Slot.Name, table.Table];
                _rows.WithLabels(labels).Set(table.Rows);
                _rowsInMemory.WithLabels(labels).Set(table.HotRows);
                var lookups = table.Hits + table.Misses;
                _rowHitRatio.WithLabels(labels).Set(lookups == 0 ? 1 : (double)table.Hits / lookups);
                _rowLookups.WithLabels([.. labels, "hit"]).IncTo(table.Hits);
                _rowLookups.WithLabels([.. labels, "miss"]).IncTo(table.Misses);
                _rowEvictions.WithLabels(labels).IncTo(table.Evictions);
                _rowExpiries.WithLabels(labels).IncTo(table.Expiries);
                _rowsNotAdmitted.WithLabels(labels).IncTo(table.NotAdmitted);
            }
        }
    }

    /// <summary>Brings the preprocessing series up to date; called when Prometheus scrapes (reads from another thread; values may be one event old).</summary>
    public void UpdatePreprocessing(Preprocessing stages)
    {
        _lateAdmitted.IncTo(stages.Cleaner.LateAdmitted);
        _clamped.IncTo(stages.Cleaner.Clamped);
        _quarantines.IncTo(stages.Cleaner.Quarantine.Started);
        _dedupForgotten.IncTo(stages.Cleaner.Deduplication.ForgottenEarly);
        _dedupUnchecked.IncTo(stages.Cleaner.Deduplication.Unchecked);
        _dedupKeys.Set(stages.Cleaner.Deduplication.Keys);
        _behaviourKeysDropped.IncTo(stages.Extractor.KeysDropped);
        _openWindowEvents.Set(stages.Windows.Events);
        if (stages.Clock.Started)
        {
            _watermark.Set(stages.Clock.WatermarkMs / 1000.0);
        }

        var distinct = stages.Extractor.Keys.Estimate() + stages.Normalizer.FeatureCount + 1;
        _distinctKeys.Set(Math.Round(distinct));
        foreach (var (gauge, bits) in _collisions)
        {
            gauge.Set(Math.Round(KeySketch.ExpectedCollisions(distinct, bits)));
        }
    }

    public Counter.Child WindowClosed(WindowTrigger trigger) => _windowsByTrigger[(int)trigger];

    private static string TriggerLabel(WindowTrigger trigger) => trigger switch
    {
        WindowTrigger.Count => "count",
        WindowTrigger.EventTime => "event_time",
        WindowTrigger.Quiet => "quiet",
        _ => "end",
    };

    public Counter.Child Rejected(RejectReason reason) => _rejectedByReason[(int)reason];

    public Counter.Child Request(RequestOp op) => _requestsByOp[(int)op];

    /// <summary>The received counter of a source; resolve once per origin, not per line.</summary>
    public Counter.Child Received(string source) => _received.WithLabels(source);

    /// <summary>The dropped counter of a source.</summary>
    public Counter.Child Dropped(string source) => _dropped.WithLabels(source);
}
