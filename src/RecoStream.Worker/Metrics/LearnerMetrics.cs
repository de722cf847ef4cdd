using Prometheus;
using RecoStream.Core.Routing;

namespace RecoStream.Worker.Metrics;

/// <summary>
/// One learner's series, read from its evaluator when Prometheus scrapes: nothing per event. The update count
/// is this process's (a counter starts at 0 with the process), the error gauges cover the store's lifetime.
/// </summary>
internal sealed class LearnerMetrics
{
    private readonly Counter.Child _updates;
    private readonly Gauge.Child _rmse;
    private readonly Gauge.Child _mae;
    private readonly Gauge.Child _serving;
    private readonly long _countAtStart;

    public LearnerMetrics(LearnerSlot slot, Counter.Child updates, Gauge.Child rmse, Gauge.Child mae, Gauge.Child serving)
    {
        Slot = slot;
        _updates = updates;
        _rmse = rmse;
        _mae = mae;
        _serving = serving;
        _countAtStart = slot.Evaluator.Count;
        updates.IncTo(0);
    }

    public LearnerSlot Slot { get; }

    public void Update(bool serving)
    {
        var evaluator = Slot.Evaluator;
        _updates.IncTo(evaluator.Count - _countAtStart);
        if (evaluator.Count > 0)
        {
            _rmse.Set(evaluator.Rmse);
            _mae.Set(evaluator.Mae);
        }

        _serving.Set(serving ? 1 : 0);
    }
}
