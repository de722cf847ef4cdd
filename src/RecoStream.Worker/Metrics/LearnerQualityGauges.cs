using Prometheus;

namespace RecoStream.Worker.Metrics;

/// <summary>One learner's quality gauges, resolved once.</summary>
internal sealed record LearnerQualityGauges(
    Gauge.Child Rmse,
    Gauge.Child Mae,
    Gauge.Child RecallAt10,
    Gauge.Child NdcgAt10,
    Gauge.Child LogLoss,
    Gauge.Child Auc,
    Gauge.Child NonZeroWeights,
    Gauge.Child RmseWindow,
    Gauge.Child MaeWindow,
    Gauge.Child RecallAt10Window,
    Gauge.Child NdcgAt10Window,
    Gauge.Child LogLossWindow);
