using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using RecoStream.Core.Events;

namespace RecoStream.Bench;

/// <summary>
/// Parsing one JSON-Lines event (typical: ids, type, value, ts, two features), against the obvious way of reading it
/// with a DOM (<see cref="JsonDocument"/>). RecoStream's parser reads the UTF-8 bytes with <see cref="Utf8JsonReader"/>.
/// </summary>
[MemoryDiagnoser]
public class ParsingBenchmarks
{
    private const int Lines = 10_000;
    private InputLine[] _lines = null!;
    private EventParser _parser = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _lines = [.. Enumerable.Range(0, Lines).Select(n => new InputLine(n + 1, Encoding.UTF8.GetBytes(
            $$$"""{"user":"user-{{{rng.Next(50_000)}}}","item":"item-{{{rng.Next(10_000)}}}","type":"rating","value":{{{rng.Next(1, 6)}}},"ts":{{{1_700_000_000_000L + n * 10}}},"features":{"price":{{{rng.Next(1, 500)}}}.5,"hour":{{{n % 24}}}}}""")))];
        _parser = new EventParser(new InputLimits());
    }

    /// <summary>
    /// Budget: today's allocation (the event object, its id strings and feature arrays, the stream item); a regression
    /// guard, not the zero the performance issue asks for (that needs id interning and pooled events).
    /// </summary>
    [Benchmark(OperationsPerInvoke = Lines)]
    [AllocationBudget(480)]
    public int RecoStreamParser()
    {
        var applied = 0;
        foreach (var line in _lines)
        {
            applied += _parser.Parse(line).Kind == StreamItemKind.Event ? 1 : 0;
        }

        return applied;
    }

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
}
