using RecoStream.Core.Events;
using RecoStream.Core.Ranking;
using RecoStream.Worker.Configuration;
using RecoStream.Worker.Metrics;
using RecoStream.Worker.Serving;

namespace RecoStream.Worker.Pipeline;

/// <summary>
/// The end of the pipeline: counts what happened to each line, answers requests, logs rejections and
/// triggers a checkpoint every N applied events. Runs on the pipeline's thread, in input order.
/// </summary>
internal sealed class OutcomeHandler
{
    private readonly Recommender _recommender;
    private readonly ResponseWriter _responses;
    private readonly Checkpointer _checkpointer;
    private readonly RejectionLog _rejections;
    private readonly WorkerMetrics _metrics;
    private readonly PipelineCounters _counters;
    private readonly int _checkpointEvery;
    private readonly TimeProvider _time;
    private int _sinceCheckpoint;

    public OutcomeHandler(Recommender recommender, ResponseWriter responses, Checkpointer checkpointer, RejectionLog rejections,
        WorkerMetrics metrics, PipelineCounters counters, StorageOptions storage, TimeProvider time)
    {
        _recommender = recommender;
        _responses = responses;
        _checkpointer = checkpointer;
        _rejections = rejections;
        _metrics = metrics;
        _counters = counters;
        _checkpointEvery = storage.CheckpointEveryEvents;
        _time = time;
    }

    /// <summary>Applied events since the last checkpoint.</summary>
    public int UncheckpointedEvents => _sinceCheckpoint;

    public void Handle(StreamItem item)
    {
        _counters.AddLine();
        switch (item.Kind)
        {
            case StreamItemKind.Event:
                _metrics.StdinEventsReceived.Inc();
                _metrics.ModelUpdates.Inc();
                _metrics.PrequentialAbsoluteError.Observe(Math.Abs(item.Prediction - item.Label));
                _counters.AddApplied();
                if (++_sinceCheckpoint >= _checkpointEvery)
                {
                    _checkpointer.Write("every " + _checkpointEvery + " events");
                    _sinceCheckpoint = 0;
                }

                break;
            case StreamItemKind.Rejected:
                _metrics.Rejected(item.Reason).Inc();
                _counters.AddRejected();
                _rejections.Log(item);
                if (item.WasRequest)
                {
                    _responses.WriteError(item.Message ?? "bad request", item.LineNumber);
                }
                else
                {
                    _metrics.StdinEventsReceived.Inc();
                }

                break;
            case StreamItemKind.Request:
                Answer(item);
                break;
            case StreamItemKind.Blank:
                break;
        }
    }

    /// <summary>Writes the checkpoint that ends a run (end of input or shutdown).</summary>
    public void WriteFinalCheckpoint(string trigger)
    {
        _checkpointer.Write(trigger);
        _sinceCheckpoint = 0;
    }

    private void Answer(StreamItem item)
    {
        var request = item.Request!;
        var start = _time.GetTimestamp();
        var recommendation = _recommender.Recommend(request.User, request.K);
        _responses.WriteRecommendation(recommendation);
        _metrics.RecommendDuration.Observe(_time.GetElapsedTime(start).TotalSeconds);
        _metrics.RecommendRequests.Inc();
        _counters.AddRequest();
    }
}
