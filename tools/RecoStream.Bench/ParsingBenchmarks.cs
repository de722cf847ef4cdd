using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using RecoStream.Core.Events;

namespace RecoStream.Bench;

/// <summary>
/// Parsing one JSON-Lines event (typical: ids, type, value, ts, two features), against the obvious way of reading it
/// with a DOM (<see cref="JsonDocument"/>). RecoStream's parser reads the UTF-8 bytes with <see cref="Utf8JsonReader"/>;
/// a plain event line (no features, as MovieLens-like streams send) takes its fast path, read by hand.
/// </summary>
[MemoryDiagnoser]
public class ParsingBenchmarks
{
    private const int Lines = 10_000;
    private InputLine[] _lines = null!;
    private InputLine[] _plainLines = null!;
    private const int BatchLines = 256;
    private EventParser _parser = null!;
    private EventParser _fullParser = null!;
    private readonly StreamItemPool _pool = new();
    private StreamItemPool.Renter _renter = null!;
    private readonly List<StreamItem> _batch = new(BatchLines);

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _lines = [.. Enumerable.Range(0, Lines).Select(n => new InputLine(n + 1, Encoding.UTF8.GetBytes(
            $$$"""{"user":"user-{{{rng.Next(50_000)}}}","item":"item-{{{rng.Next(10_000)}}}","type":"rating","value":{{{rng.Next(1, 6)}}},"ts":{{{1_700_000_000_000L + n * 10}}},"features":{"price":{{{rng.Next(1, 500)}}}.5,"hour":{{{n % 24}}}}}""")))];
        _plainLines = [.. Enumerable.Range(0, Lines).Select(n => new InputLine(n + 1, Encoding.UTF8.GetBytes(
            $$$"""{"user":"u{{{rng.Next(10)}}}-{{{rng.Next(1_000)}}}","item":"i{{{rng.Next(1_700)}}}","type":"rating","value":{{{rng.Next(1, 6)}}},"ts":{{{874_724_710_000L + (n * 1000)}}}}""")))];
        _parser = new EventParser(new InputLimits());
        _fullParser = new EventParser(new InputLimits()) { FastPath = false };
        _renter = _pool.NewRenter();
    }

    /// <summary>
    /// Each line into a new item and event, as tests and HTTP requests parse (budget: today's figure, a regression guard).
    /// </summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    [AllocationBudget(400)]
    public int RecoStreamParser()
    {
        var applied = 0;
        foreach (var line in _lines)
        {
            applied += _parser.Parse(line).Kind == StreamItemKind.Event ? 1 : 0;
        }

        return applied;
    }

    /// <summary>
    /// As the worker's sources parse: into items the pipeline handed back (<see cref="StreamItemPool"/>), in batches of
    /// 256, each handed back once parsed; ids are the strings made the first time. Steady state allocates nothing.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    [AllocationBudget(0)]
    public int RecoStreamParserRecycled() => ParseRecycled(_parser, _lines);

    /// <summary>
    /// Plain event lines (the MovieLens stream's shape: ids, type, value, ts), into recycled items: the fast path.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    [AllocationBudget(0)]
    public int RecoStreamParserRecycledPlain() => ParseRecycled(_parser, _plainLines);

    /// <summary>The same plain lines through the full parser alone (the fast path off), for comparison.</summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    [AllocationBudget(0)]
    public int RecoStreamParserRecycledPlainFullPath() => ParseRecycled(_fullParser, _plainLines);

    [Benchmark(Baseline = true, OperationsPerInvoke = Lines)]
    public int JsonDocumentDom()
    {
        var applied = 0;
        foreach (var line in _lines)
        {
            using var document = JsonDocument.Parse(line.Bytes);
            var root = document.RootElement;
            var e = new UserEvent(root.GetProperty("user").GetString()!, root.GetProperty("item").GetString()!, EventType.Rating,
                root.GetProperty("value").GetDouble(), root.GetProperty("ts").GetInt64(),
                [.. root.GetProperty("features").EnumerateObject().Select(p => p.Name)],
                [.. root.GetProperty("features").EnumerateObject().Select(p => p.Value.GetDouble())]);
            applied += e.User.Length > 0 ? 1 : 0;
        }

        return applied;
    }

    private int ParseRecycled(EventParser parser, InputLine[] lines)
    {
        var applied = 0;
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n];
            var item = parser.Parse(line.Number, line.Bytes.Span, tooLong: false, origin: null, arrivedAt: 0, _renter);
            applied += item.Kind == StreamItemKind.Event ? 1 : 0;
            _batch.Add(item);
            if (_batch.Count == BatchLines || n == lines.Length - 1)
            {
                _pool.Return(_renter.ToBatch(_batch));
            }
        }

        return applied;
    }
}
