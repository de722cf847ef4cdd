using System.Globalization;

namespace RecoStream.Worker;

/// <summary>Fields of the kernel's <c>/proc/self/status</c> (Linux): the process's memory as the kernel counts it.</summary>
internal static class ProcessStatus
{
    /// <summary>
    /// The value in kB of each of <paramref name="fields"/> (such as <c>VmHWM</c>), in their order, from one read of the
    /// file; null off Linux or when it cannot be read, and 0 for a field it does not have.
    /// </summary>
    public static long[]? Kilobytes(params string[] fields)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var values = new long[fields.Length];
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var field = colon < 0 ? -1 : Array.IndexOf(fields, line[..colon]);
                if (field >= 0)
                {
                    values[field] = long.Parse(line.AsSpan(colon + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            return null;
        }

        return values;
    }
}
