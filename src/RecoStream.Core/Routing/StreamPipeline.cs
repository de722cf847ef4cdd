using System.Reactive.Concurrency;
using System.Reactive.Linq;
using RecoStream.Core.Events;
using RecoStream.Core.Processing;

namespace RecoStream.Core.Routing;

/// <summary>
/// The Rx pipeline every line goes through, in order: parse (at the source) -> validate -> clean -> extract features -> normalize ->
/// window -> route (learn). Requests travel the same sequence, so a request is answered after every event before it is
/// applied. Back-pressure lives in the bounded channel in front of it; the pipeline itself has no queues. The window
/// stage's quiet timer runs on the injected scheduler.
/// </summary>
public sealed class StreamPipeline
{
    private readonly LineParser _parser;
    private readonly Preprocessing _stages;
    private readonly IncrementalRoute _route;
    private readonly IScheduler _scheduler;

    public StreamPipeline(LineParser parser, Preprocessing stages, IncrementalRoute route, IScheduler scheduler)
    {
        _parser = parser;
        _stages = stages;
        _route = route;
        _scheduler = scheduler;
    }

    /// <summary>Composes the stages over a stream of framed lines.</summary>
    public IObservable<StreamItem> Build(IObservable<InputLine> lines) => Build(lines.Select(_parser.Parse));

    /// <summary>
    /// Composes the stages after parsing over lines already parsed, in order (the worker's sources parse on their own
    /// threads, see <see cref="LineParser"/>).
    /// </summary>
    public IObservable<StreamItem> Build(IObservable<StreamItem> parsed) =>
        parsed
            .Select(_stages.Validator.Validate)
            .Select(_stages.Cleaner.Clean)
            .Select(_stages.Extractor.Extract)
            .Select(_stages.Normalizer.Normalize)
            .Tumble(_stages.Windows, _scheduler)
            .Select(_route.Apply);
}
