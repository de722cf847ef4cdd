using RecoStream.Core.Events;
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

    public IncrementalRoute(ModelState state, LabelPolicy labels)
    {
        _state = state;
        _labels = labels;
    }

    /// <summary>Applies an event to the model; passes other items through.</summary>
    public StreamItem Apply(StreamItem item)
    {
        _state.LinesConsumed++;
        if (item.Kind != StreamItemKind.Event)
        {
            return item;
        }

        var e = item.Event!;
        var label = _labels.LabelOf(e);
        item.Prediction = double.NaN;
        item.Label = label;
        foreach (var slot in _state.Learners)
        {
            if (!slot.Learner.Learns(e))
            {
                continue;
            }

            var prediction = slot.Learner.Learn(e, label);
            slot.Evaluator.Add(prediction, label);
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
}
