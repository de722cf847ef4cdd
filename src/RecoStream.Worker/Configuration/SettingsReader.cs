using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace RecoStream.Worker.Configuration;

/// <summary>
/// Reads typed settings from configuration and collects one message per bad value, naming the key, the value
/// and what is allowed. Keys under the root section that no setting reads are reported too, so a typo in a
/// key name is not silently ignored.
/// </summary>
internal sealed class SettingsReader
{
    private readonly IConfiguration _configuration;
    private readonly HashSet<string> _known = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _errors = [];

    public SettingsReader(IConfiguration configuration)
    {
        _configuration = configuration;
    }

    /// <summary>One message per problem found so far.</summary>
    public IReadOnlyList<string> Errors => _errors;

    public int Int(string key, int defaultValue, int min, int max, string? note = null)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        if (int.TryParse(raw.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        Fail(key, raw, $"a whole number from {min} to {max}{(note is null ? "" : "; " + note)}");
        return defaultValue;
    }

    public double Double(string key, double defaultValue, double min, double max, bool minExclusive = false)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        if (double.TryParse(raw.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value) && (minExclusive ? value > min : value >= min) && value <= max)
        {
            return value;
        }

        Fail(key, raw, $"a number {(minExclusive ? "greater than" : "from")} {min.ToString(CultureInfo.InvariantCulture)} " +
                       $"{(minExclusive ? "and at most" : "to")} {max.ToString(CultureInfo.InvariantCulture)}");
        return defaultValue;
    }

    public bool Bool(string key, bool defaultValue)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        if (bool.TryParse(raw.Trim(), out var value))
        {
            return value;
        }

        Fail(key, raw, "true or false");
        return defaultValue;
    }

    public string String(string key, string defaultValue, Func<string, bool> isValid, string allowed, bool secret = false)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        if (isValid(raw))
        {
            return raw;
        }

        Fail(key, secret ? "(hidden)" : raw, allowed);
        return defaultValue;
    }

    public TEnum Enum<TEnum>(string key, TEnum defaultValue)
        where TEnum : struct, System.Enum
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        if (System.Enum.TryParse<TEnum>(raw.Trim(), ignoreCase: true, out var value) && System.Enum.IsDefined(value)
            && !int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            return value;
        }

        Fail(key, raw, string.Join(" or ", System.Enum.GetNames<TEnum>()));
        return defaultValue;
    }

    /// <summary>Reports a required key that is absent or inconsistent with another.</summary>
    public void Missing(string key, string allowed) => _errors.Add($"{key}: missing or not allowed; allowed: {allowed}");

    /// <summary>Reports every key under <paramref name="section"/> that no setting read.</summary>
    public void RejectUnknownKeys(string section)
    {
        foreach (var (key, value) in _configuration.GetSection(section).AsEnumerable())
        {
            if (value is not null && !_known.Contains(key))
            {
                _errors.Add($"{key}: '{value}' is not a RecoStream setting (check the spelling; the README lists every key)");
            }
        }
    }

    private string? Raw(string key)
    {
        _known.Add(key);
        return _configuration[key];
    }

    private void Fail(string key, string value, string allowed) =>
        _errors.Add($"{key}: '{value}' is not allowed; allowed: {allowed}");
}
