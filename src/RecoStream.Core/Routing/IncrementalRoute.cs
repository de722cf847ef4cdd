using RecoStream.Core.Evaluation;
using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;

namespace RecoStream.Core.Routing;

/// <summary>
/// The incremental route: each event goes to every learner that learns from it (predicted first, which scores it
/// prequentially, then learned from), then is recorded in the catalog and the user's history. Every line
/// advances the input position.
/// </summary>
public sealed class IncrementalRoute
{
    private readonly ModelState _state;
    private readonly LabelPolicy _labels;
    private readonly EvaluationOptions _evaluation;
    private float[] _scratch = [];
    private long _positives;

    public IncrementalRoute(ModelState state, LabelPolicy labels, EvaluationOptions? evaluation = null)
    {
        _state = state;
        _labels = labels;
        _evaluation = evaluation ?? new EvaluationOptions { RankingEvery = 0 };
    }

    /// <summary>Applies an event to the model; at a window close trains the windowed-batch learners; passes other items through.</summary>
    public StreamItem Apply(StreamItem item)
    {
        _state.ApplyPendingChanges();
        if (item.Kind == StreamItemKind.WindowClosed)
        {
            foreach (var slot in _state.Learners)
            {
                (slot.Learner as WindowedBatchLearner)?.CloseWindow();
            }

            return item;
        }

        _state.LinesConsumed++;
        if (item.Kind != StreamItemKind.Event)
        {
            return item;
        }

        var e = item.Event!;
        var label = _labels.LabelOf(e);
        item.Prediction = double.NaN;
        item.Label = label;
        if (_evaluation.RankingEvery > 0 && IsPositive(e) && _positives++ % _evaluation.RankingEvery == 0)
        {
            RankBeforeLearning(e);
        }

        // Indexed, not foreach: the list is an interface here, and its enumerator would be boxed for every event.
        var learners = _state.Learners;
        for (var l = 0; l < learners.Count; l++)
        {
            var slot = learners[l];
            if (!slot.Learner.Learns(e))
            {
                continue;
            }

            var prediction = slot.Learner.Learn(e, label);
            slot.Evaluator.AddLearned();
            switch (slot.Learner.Objective)
            {
                case LearnerObjective.Regression:
                    slot.Evaluator.Add(prediction, label);
                    break;
                case LearnerObjective.Classification:
                    slot.Evaluator.AddClassification(prediction, slot.Learner is ILabelledLearner labelled && labelled.IsPositive(e));
                    break;
            }

            if (ReferenceEquals(slot, _state.Serving))
            {
                item.Prediction = prediction;
            }
        }

        var itemIndex = _state.Catalog.Record(e.Item);
        _state.History.Record(e.User, itemIndex);
        _state.EventsApplied++;
        _state.LastEventTimeMs = e.TimestampMs;
        item.Applied = true;
        return item;
    }

    private bool IsPositive(UserEvent e) => e.Type != EventType.Rating || e.Value >= _evaluation.PositiveRatingThreshold;

    /// <summary>Test before train: where each learner ranks the event's item among the user's unseen items.</summary>
    private void RankBeforeLearning(UserEvent e)
    {
        var seen = _state.History.SeenItems(e.User);
        var learners = _state.Learners;
        for (var l = 0; l < learners.Count; l++)
        {
            var slot = learners[l];
            slot.Evaluator.AddRank(TopTenRank.Of(slot.Learner, e.User, e.Item, _state.Catalog, seen, ref _scratch));
        }
    }
}
