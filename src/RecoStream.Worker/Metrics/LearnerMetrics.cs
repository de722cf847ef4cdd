using Prometheus;
using RecoStream.Core.Learners;
using RecoStream.Core.Routing;

namespace RecoStream.Worker.Metrics;

/// <summary>
/// One learner's series, read from its evaluator when Prometheus scrapes: nothing per event. The update count
/// is this process's (a counter starts at 0 with the process); the quality gauges cover the store's lifetime,
/// except the AUC, which covers the last 10,000 classified events. A gauge with no value yet is not exported.
/// </summary>
internal sealed class LearnerMetrics
{
    private readonly Counter.Child _updates;
    private readonly Gauge.Child _serving;
    private readonly Gauge.Child _windowed;
    private readonly LearnerQualityGauges _quality;
    private readonly long _countAtStart;

    public LearnerMetrics(LearnerSlot slot, Counter.Child updates, Gauge.Child serving, Gauge.Child windowed, LearnerQualityGauges quality)
    {
        _windowed = windowed;
        Slot = slot;
        _updates = updates;
        _serving = serving;
        _quality = quality;
        _countAtStart = Updates(slot);
        updates.IncTo(0);
        foreach (var gauge in new[]
                 {
                     quality.Rmse, quality.Mae, quality.RecallAt10, quality.NdcgAt10, quality.LogLoss, quality.Auc, quality.NonZeroWeights,
                     quality.RmseWindow, quality.MaeWindow, quality.RecallAt10Window, quality.NdcgAt10Window, quality.LogLossWindow,
                 })
        {
            gauge.Unpublish();
        }
    }

    public LearnerSlot Slot { get; }

    public void Update(bool serving)
    {
        var evaluator = Slot.Evaluator;
        _updates.IncTo(Updates(Slot) - _countAtStart);
        Publish(_quality.Rmse, evaluator.Rmse);
        Publish(_quality.Mae, evaluator.Mae);
        Publish(_quality.RecallAt10, evaluator.RecallAt10);
        Publish(_quality.NdcgAt10, evaluator.NdcgAt10);
        Publish(_quality.LogLoss, evaluator.LogLoss);
        Publish(_quality.Auc, evaluator.Auc.Value());
        Publish(_quality.RmseWindow, Math.Sqrt(evaluator.SquaredErrorWindow.Mean));
        Publish(_quality.MaeWindow, evaluator.AbsoluteErrorWindow.Mean);
        Publish(_quality.RecallAt10Window, evaluator.HitWindow.Mean);
        Publish(_quality.NdcgAt10Window, evaluator.GainWindow.Mean);
        Publish(_quality.LogLossWindow, evaluator.LogLossWindow.Mean);
        if (Slot.Learner is FtrlProximal ftrl)
        {
            Publish(_quality.NonZeroWeights, ftrl.NonZeroWeights());
        }

        _serving.Set(serving ? 1 : 0);
        _windowed.Set(Slot.WindowedBatch ? 1 : 0);
    }

    private static long Updates(LearnerSlot slot) => slot.Learner.Objective switch
    {
        LearnerObjective.Regression => slot.Evaluator.Count,
        LearnerObjective.Classification => slot.Evaluator.Classified,
        _ => slot.Evaluator.Learned,
    };

    private static void Publish(Gauge.Child gauge, double value)
    {
        if (double.IsFinite(value))
        {
            gauge.Set(value);
            gauge.Publish();
        }
    }
}
