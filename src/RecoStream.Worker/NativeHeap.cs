using System.Runtime.InteropServices;

namespace RecoStream.Worker;

/// <summary>
/// Settings of the C library's allocator (glibc's malloc), which RocksDB allocates its memtables, write batches and
/// blocks from. By default glibc gives each thread that allocates its own arena of up to 64 MB and keeps freed memory
/// in it, so that the memory a checkpoint's write used stays resident after it. With two arenas, allocations of 128 KB
/// and more mapped on their own (so returned to the system when freed), and the heap's free top returned past 128 KB, the
/// 1,000,000-user replay with checkpoints every 50,000 events peaked at 900-948 MiB instead of 1,207-1,330 MiB
/// (docs/benchmarks.md). An environment variable the user sets (<c>MALLOC_ARENA_MAX</c>, <c>MALLOC_MMAP_THRESHOLD_</c>,
/// <c>MALLOC_TRIM_THRESHOLD_</c>) wins over its setting here.
/// </summary>
internal static class NativeHeap
{
    private const int TrimThreshold = -1;
    private const int MmapThreshold = -3;
    private const int ArenaMax = -8;

    /// <summary>What <see cref="Apply"/> set: (environment variable, value, taken by the C library), for the start-up log.</summary>
    public static IReadOnlyList<(string Variable, int Value, bool Applied)> Applied { get; private set; } = [];

    /// <summary>The settings applied, as <c>NAME=value</c> pairs (<c>(refused)</c> after one the C library did not take).</summary>
    public static string Describe() => string.Join(", ", Applied.Select(a => $"{a.Variable}={a.Value}{(a.Applied ? "" : " (refused)")}"));

    /// <summary>
    /// Sets what the environment leaves open; call first thing, before other threads allocate. Gives the settings tried:
    /// (environment variable, value) pairs, each with whether the C library took it.
    /// </summary>
    public static IReadOnlyList<(string Variable, int Value, bool Applied)> Apply()
    {
        var applied = new List<(string, int, bool)>();
        Applied = applied;
        if (!OperatingSystem.IsLinux())
        {
            return applied;
        }

        foreach (var (variable, parameter, value) in new[]
                 {
                     ("MALLOC_ARENA_MAX", ArenaMax, 2),
                     ("MALLOC_MMAP_THRESHOLD_", MmapThreshold, 128 * 1024),
                     ("MALLOC_TRIM_THRESHOLD_", TrimThreshold, 128 * 1024),
                 })
        {
            if (Environment.GetEnvironmentVariable(variable) is not null)
            {
                continue;
            }

            bool ok;
            try
            {
                // glibc returns 1 on success (musl's stub returns 0: nothing to tune there).
                ok = Mallopt(parameter, value) == 1;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                ok = false;
            }

            applied.Add((variable, value, ok));
        }

        return applied;
    }

    private static bool _trimUnsupported = !OperatingSystem.IsLinux();

    /// <summary>
    /// Returns the free memory inside the allocator's arenas to the system (glibc's <c>malloc_trim</c>), which the trim
    /// threshold does only for the top of the main heap: after a checkpoint's write, about 17 MiB of RocksDB's small
    /// allocations sat freed in the arenas through the 1,000,000-user replay, resident (docs/benchmarks.md). It walks the
    /// arenas once, under their locks. False where the C library has no such call (then never tried again).
    /// </summary>
    public static bool Trim()
    {
        if (_trimUnsupported)
        {
            return false;
        }

        try
        {
            _ = MallocTrim(0);
            return true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            _trimUnsupported = true;
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
