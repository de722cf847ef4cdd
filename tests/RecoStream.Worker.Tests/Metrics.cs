using System.Globalization;
using System.Text.RegularExpressions;

namespace RecoStream.Worker.Tests;

/// <summary>Reads sample values out of a Prometheus text exposition.</summary>
internal static partial class Metrics
{
    /// <summary>The value of the sample whose name and labels are exactly <paramref name="series"/>; null when absent.</summary>
    public static double? Value(string exposition, string series)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>The sum over every sample of a metric family (all label sets).</summary>
    public static double Sum(string exposition, string name) =>
        SampleLine().Matches(exposition)
            .Where(m => m.Groups["name"].Value == name)
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (?<value>\S+)$", RegexOptions.Multiline)]
    private static partial Regex SampleLine();
}
