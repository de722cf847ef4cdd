using BenchmarkDotNet.Attributes;
using RecoStream.Core.Events;
using RecoStream.Core.Processing;

namespace RecoStream.Bench;

/// <summary>
/// The clean + feature + normalize stages alone (validate, clean, extract, normalize) over typical parsed events, one
/// thread, against a straightforward implementation that builds a feature dictionary per event and string keys for
/// deduplication and rate limiting, as feature-dict pipelines do.
/// </summary>
[MemoryDiagnoser]
public class PreprocessingBenchmarks
{
    private const int Events = 20_000;
    private StreamSample _sample = null!;
    private Preprocessing _stages = null!;
    private NaivePreprocessing _naive = null!;
    private long _pass;
    private long _naivePass;

    [GlobalSetup]
    public void Setup()
    {
        _sample = new StreamSample(Events);
        _stages = new Preprocessing(new PreprocessingOptions(), TimeProvider.System);
        _naive = new NaivePreprocessing();
        // One pass to fill the statistics tables, and a check that typical events are all accepted.
        var (optimised, naive) = (Optimised(), Naive());
        if (optimised != Events || naive != Events)
        {
            var reasons = string.Join(", ", _sample.Items.Where(i => i.Kind == StreamItemKind.Rejected).GroupBy(i => i.Reason).Select(g => $"{g.Key} {g.Count()}"));
            throw new InvalidOperationException($"the sample stream should be accepted whole: {optimised} and {naive} of {Events} ({reasons})");
        }
    }

    [Benchmark(OperationsPerInvoke = Events)]
    [AllocationBudget(0)]
    public long Optimised()
    {
        var pass = ++_pass;
        long accepted = 0;
        for (var n = 0; n < Events; n++)
        {
            _sample.Rewind(n, pass);
            var item = _sample.Items[n];
            item = _stages.Normalizer.Normalize(_stages.Extractor.Extract(_stages.Cleaner.Clean(_stages.Validator.Validate(item))));
            accepted += item.Kind == StreamItemKind.Event ? 1 : 0;
        }

        return accepted;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public long Naive()
    {
        var pass = ++_naivePass;
        long accepted = 0;
        for (var n = 0; n < Events; n++)
        {
            accepted += _naive.Process(_sample.Rewind(n, pass)) is null ? 0 : 1;
        }

        return accepted;
    }
}
