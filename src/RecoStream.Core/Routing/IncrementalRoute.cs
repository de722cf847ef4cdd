using RecoStream.Core.Events;
using RecoStream.Core.Processing;

namespace RecoStream.Core.Routing;

/// <summary>
/// The incremental route: each event is predicted (scored prequentially), then learned from, then recorded in
/// the catalog and the user's history. Every line advances the input position.
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
        var prediction = _state.Learner.Learn(e, label);
        _state.Evaluator.Add(prediction, label);
        var itemIndex = _state.Catalog.Record(e.Item);
        _state.History.Record(e.User, itemIndex);
        _state.EventsApplied++;
        _state.LastEventTimeMs = e.TimestampMs;

        item.Prediction = prediction;
        item.Label = label;
        item.Applied = true;
        return item;
    }
}
