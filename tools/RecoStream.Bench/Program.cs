using System.Reflection;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;
using RecoStream.Bench;

// Runs the benchmarks chosen on the command line (BenchmarkDotNet's --filter, --job, ...), then checks each measured
// benchmark against its [AllocationBudget]: the run fails when an optimised path starts allocating.
var config = DefaultConfig.Instance.AddDiagnoser(MemoryDiagnoser.Default);
var summaries = BenchmarkSwitcher.FromAssembly(typeof(AllocationBudgetAttribute).Assembly).Run(args, config);
var failed = false;
foreach (var report in summaries.SelectMany(s => s.Reports))
{
    var budget = report.BenchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<AllocationBudgetAttribute>();
    var allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
    if (budget is null || allocated is null)
    {
        continue;
    }

    var ok = allocated <= budget.BytesPerOperation;
    failed |= !ok;
    Console.WriteLine($"allocation budget {(ok ? "ok" : "EXCEEDED")}: {report.BenchmarkCase.DisplayInfo}: {allocated} B/op (budget {budget.BytesPerOperation} B/op)");
}

return failed ? 1 : 0;
