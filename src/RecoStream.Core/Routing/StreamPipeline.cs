using System.Reactive.Linq;
using RecoStream.Core.Events;
using RecoStream.Core.Processing;

namespace RecoStream.Core.Routing;

/// <summary>
/// The Rx pipeline every line goes through, in order: parse -> validate/clean -> normalize -> route (learn).
/// Requests travel the same sequence, so a request is answered after every event before it is applied.
/// Back-pressure lives in the bounded channel in front of it; the pipeline itself has no queues.
/// </summary>
public sealed class StreamPipeline
{
    private readonly LineParser _parser;
    private readonly EventValidator _validator;
    private readonly FeatureNormalizer _normalizer;
    private readonly IncrementalRoute _route;

    public StreamPipeline(LineParser parser, EventValidator validator, FeatureNormalizer normalizer, IncrementalRoute route)
    {
        _parser = parser;
        _validator = validator;
        _normalizer = normalizer;
        _route = route;
    }

    /// <summary>Composes the stages over a stream of framed lines.</summary>
    public IObservable<StreamItem> Build(IObservable<InputLine> lines) =>
        lines
            .Select(_parser.Parse)
            .Select(_validator.Validate)
            .Select(_normalizer.Normalize)
            .Select(_route.Apply);
}
