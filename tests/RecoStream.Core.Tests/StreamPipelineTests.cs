using System.Reactive.Linq;
using System.Text;
using RecoStream.Core.Events;
using RecoStream.Core.Learners;
using RecoStream.Core.Processing;
using RecoStream.Core.Routing;

namespace RecoStream.Core.Tests;

public class StreamPipelineTests
{
    private static (StreamPipeline, ModelState) Build()
    {
        var state = new ModelState(new FeatureOptions(), new LinearLearnerOptions { HashBits = 14 }, 100);
        var route = new IncrementalRoute(state, new LabelPolicy(new LabelOptions()));
        return (new StreamPipeline(new EventParser(new InputLimits()), state.Preprocessing, route, new System.Reactive.Concurrency.HistoricalScheduler()), state);
    }

    private static IObservable<InputLine> Lines(params string[] lines) =>
        lines.Select((l, i) => new InputLine(i + 1, Encoding.UTF8.GetBytes(l))).ToObservable();

    [Fact]
    public async Task Build_MixedLines_KeepsOrderAndAppliesOnlyValidEvents()
    {
        var (pipeline, state) = Build();

        var items = await pipeline.Build(Lines(
            """{"user":"u1","item":"i1","type":"rating","value":4,"ts":1,"features":{"price":10}}""",
            """{"user":"u1","item":"i2","type":"teleport","ts":2}""",
            "",
            """{"op":"recommend","user":"u1"}""",
            """{"user":"u2","item":"i1","type":"purchase","ts":3,"features":{"price":30}}""",
            "{broken")).ToList();

        Assert.Equal([1L, 2, 3, 4, 5, 6, 0], items.Select(i => i.LineNumber));
        Assert.Equal(
            [StreamItemKind.Event, StreamItemKind.Rejected, StreamItemKind.Blank, StreamItemKind.Request, StreamItemKind.Event, StreamItemKind.Rejected,
             StreamItemKind.WindowClosed],
            items.Select(i => i.Kind));
        Assert.Equal(new WindowSummary(1, WindowTrigger.End, 0, 3_600_000, 2, 1, 3), items[6].Window);
        Assert.Equal(RejectReason.UnknownEventType, items[1].Reason);
        Assert.Equal(RejectReason.MalformedJson, items[5].Reason);
        Assert.True(items[0].Applied && items[4].Applied);
        Assert.Equal(5.0, items[4].Label);
        Assert.Equal(2, state.EventsApplied);
        Assert.Equal(6, state.LinesConsumed);
        Assert.Equal(2, state.Evaluator.Count);
        Assert.Equal(["i1"], state.Catalog.Ids);
        Assert.True(state.Normalizer.TryGetStatistics("price", out var price));
        Assert.Equal(20.0, price.Mean);
    }

    [Fact]
    public async Task Build_RequestAfterEvents_SeesThoseEventsApplied()
    {
        var (pipeline, state) = Build();
        var catalogSizeAtRequest = -1;

        await pipeline.Build(Lines(
                """{"user":"u1","item":"i1","type":"view","ts":1}""",
                """{"user":"u1","item":"i2","type":"view","ts":2}""",
                """{"op":"recommend","user":"u1"}""",
                """{"user":"u1","item":"i3","type":"view","ts":3}"""))
            .ForEachAsync(item =>
            {
                if (item.Kind == StreamItemKind.Request)
                {
                    catalogSizeAtRequest = state.Catalog.Count;
                }
            });

        Assert.Equal(2, catalogSizeAtRequest);
        Assert.Equal(3, state.Catalog.Count);
    }

    [Fact]
    public async Task Snapshot_RestoredIntoFreshState_ContinuesIdentically()
    {
        var (pipeline, state) = Build();
        string[] history =
        [
            """{"user":"u1","item":"i1","type":"rating","value":5,"ts":1,"features":{"price":10}}""",
            """{"user":"u2","item":"i2","type":"click","ts":2,"features":{"price":20}}""",
            """{"user":"u1","item":"i3","type":"purchase","ts":3,"features":{"price":40}}""",
        ];
        await pipeline.Build(Lines(history)).LastAsync();

        var (pipeline2, restored) = Build();
        restored.Restore(state.Snapshot());
        var next = """{"user":"u2","item":"i3","type":"rating","value":2,"ts":4,"features":{"price":25}}""";
        var a = await pipeline.Build(Lines(next)).FirstAsync();
        var b = await pipeline2.Build(Lines(next)).FirstAsync();

        Assert.Equal(a.Prediction, b.Prediction);
        Assert.Equal(((LinearLearner)state.Learner).Weights.ToArray(), ((LinearLearner)restored.Learner).Weights.ToArray());
        Assert.Equal(state.Evaluator.Rmse, restored.Evaluator.Rmse);
        Assert.Equal(state.LinesConsumed, restored.LinesConsumed);
        Assert.Equal(state.Catalog.Ids, restored.Catalog.Ids);
        Assert.Equal(state.Normalizer.Snapshot().Features, restored.Normalizer.Snapshot().Features);
        Assert.Equal(state.Preprocessing.Extractor.Snapshot().Users, restored.Preprocessing.Extractor.Snapshot().Users);
    }
}
