namespace RecoStream.Bench;

/// <summary>
/// The most bytes one operation of a benchmark may allocate on average; the run fails (exit code 1) when a measured
/// benchmark exceeds it. Zero means none in steady state: below one byte per operation, as MemoryDiagnoser rounds.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class AllocationBudgetAttribute : Attribute
{
    public AllocationBudgetAttribute(long bytesPerOperation)
    {
        BytesPerOperation = bytesPerOperation;
    }

    public long BytesPerOperation { get; }
}
