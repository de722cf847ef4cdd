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
    private readonly Func<long>? _quietClockMs;

    /// <param name="parser">Parses lines (in <see cref="Build(IObservable{InputLine})"/>).</param>
    /// <param name="stages">The preprocessing stages.</param>
    /// <param name="route">The learners' route.</param>
    /// <param name="scheduler">Runs the window stage's quiet timer.</param>
    /// <param name="quietClockMs">A cheap millisecond clock at the scheduler's pace for the quiet spell (see <see cref="TumblingWindows.Tumble"/>).</param>
    public StreamPipeline(LineParser parser, Preprocessing stages, IncrementalRoute route, IScheduler scheduler, Func<long>? quietClockMs = null)
    {
        _parser = parser;
        _stages = stages;
        _route = route;
        _scheduler = scheduler;
        _quietClockMs = quietClockMs;
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
            .Tumble(_stages.Windows, _scheduler, _quietClockMs)
            .Select(_route.Apply);
}
