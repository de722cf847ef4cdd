using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;

namespace RecoStream.Core.Events;

/// <summary>
/// The parser's fast path: the common event line (an object of <c>user</c>, <c>item</c>, <c>type</c>, <c>ts</c>, an
/// optional <c>value</c> and optional numeric <c>features</c>, as MovieLens-like streams and the event generator send)
/// read by hand instead of through <see cref="System.Text.Json.Utf8JsonReader"/>, which took about half of a line's
/// parse. It accepts only a strict subset of JSON and gives up on anything else (escapes, other fields, other
/// whitespace, a number not in the plain form, an unknown type, a string feature, an id or a feature the full parser
/// would reject, a duplicate or missing field): the full parser then reads the line and decides, so every line gets
/// exactly what the full parser alone gives it.
/// </summary>
public sealed partial class EventParser
{
    /// <summary>Whether lines are tried on the fast path first (tests compare the two paths).</summary>
    internal bool FastPath { get; init; } = true;

    /// <summary>
    /// Parses <paramref name="json"/> (trimmed, not empty) when it is a plain event line of the subset above; false, with
    /// nothing consumed from <paramref name="recycled"/>, for any other line.
    /// </summary>
    internal bool TryParseSimple(long number, ReadOnlySpan<byte> json, StreamItemPool.Renter? recycled, [NotNullWhen(true)] out StreamItem? parsed)
    {
        parsed = null;
        if (json.Length < 2 || json[0] != (byte)'{' || json[^1] != (byte)'}')
        {
            return false;
        }

        var seen = Field.None;
        var featureNames = _scratchNames ??= [];
        var featureValues = _scratchValues ??= [];
        featureNames.Clear();
        featureValues.Clear();
        string? user = null, item = null;
        ulong userKey = 0, itemKey = 0;
        var type = EventType.Unknown;
        double? value = null;
        long ts = 0;
        var p = 1;
        while (true)
        {
            p = SkipSpaces(json, p);
            if (!TryReadPlainString(json, ref p, out var key))
            {
                return false;
            }

            var field = key.SequenceEqual("user"u8) ? Field.User
                : key.SequenceEqual("item"u8) ? Field.Item
                : key.SequenceEqual("type"u8) ? Field.Type
                : key.SequenceEqual("value"u8) ? Field.Value
                : key.SequenceEqual("ts"u8) ? Field.Ts
                : key.SequenceEqual("features"u8) ? Field.Features
                : Field.None;
            if (field == Field.None || (seen & field) != 0)
            {
                return false;
            }

            seen |= field;
            p = SkipSpaces(json, p);
            if (p >= json.Length || json[p] != (byte)':')
            {
                return false;
            }

            p = SkipSpaces(json, p + 1);
            switch (field)
            {
                case Field.User:
                    if (!TryReadPlainString(json, ref p, out var userBytes) || !TryId(userBytes, 'u', out user, out userKey))
                    {
                        return false;
                    }

                    break;
                case Field.Item:
                    if (!TryReadPlainString(json, ref p, out var itemBytes) || !TryId(itemBytes, 'i', out item, out itemKey))
                    {
                        return false;
                    }

                    break;
                case Field.Type:
                    if (!TryReadPlainString(json, ref p, out var typeBytes) || (type = EventTypeNames.Parse(typeBytes)) == EventType.Unknown)
                    {
                        return false;
                    }

                    break;
                case Field.Value:
                    if (json[p..].StartsWith("null"u8))
                    {
                        p += 4;
                        value = null;
                        break;
                    }

                    if (!TryReadNumber(json, ref p, out var number64))
                    {
                        return false;
                    }

                    value = number64;
                    break;
                case Field.Features:
                    if (!TryReadNumericFeatures(json, ref p, featureNames, featureValues))
                    {
                        return false;
                    }

                    break;
                default: // Field.Ts
                    if (!TryReadMilliseconds(json, ref p, out ts))
                    {
                        return false;
                    }

                    break;
            }

            p = SkipSpaces(json, p);
            if (p >= json.Length)
            {
                return false;
            }

            if (json[p] == (byte)',')
            {
                p++;
                continue;
            }

            if (json[p] == (byte)'}' && p == json.Length - 1)
            {
                break;
            }

            return false;
        }

        if ((seen & (Field.User | Field.Item | Field.Type | Field.Ts)) != (Field.User | Field.Item | Field.Type | Field.Ts))
        {
            return false;
        }

        parsed = NewEvent(recycled, number, user!, item!, type, value, ts, CollectionsMarshal.AsSpan(featureNames),
            CollectionsMarshal.AsSpan(featureValues), [], null, userKey, itemKey);
        return true;
    }

    /// <summary>
    /// <c>features</c> as <c>null</c> or a flat object of numbers, each name a plain string the full parser accepts (1 to
    /// <see cref="MaxFeatureNameLength"/> characters, once), at most <see cref="InputLimits.MaxFeaturesPerEvent"/> of them.
    /// </summary>
    private bool TryReadNumericFeatures(ReadOnlySpan<byte> json, ref int p, List<string> names, List<double> values)
    {
        if (json[p..].StartsWith("null"u8))
        {
            p += 4;
            return true;
        }

        if (p >= json.Length || json[p] != (byte)'{')
        {
            return false;
        }

        p = SkipSpaces(json, p + 1);
        if (p < json.Length && json[p] == (byte)'}')
        {
            p++;
            return true;
        }

        while (true)
        {
            if (!TryReadPlainString(json, ref p, out var nameBytes) || nameBytes.Length is 0 or > MaxFeatureNameLength)
            {
                return false;
            }

            p = SkipSpaces(json, p);
            if (p >= json.Length || json[p] != (byte)':')
            {
                return false;
            }

            p = SkipSpaces(json, p + 1);
            if (!TryReadNumber(json, ref p, out var featureValue) || names.Count == _limits.MaxFeaturesPerEvent)
            {
                return false;
            }

            var name = KnownFeatureName(nameBytes);
            if (name is null)
            {
                name = Encoding.ASCII.GetString(nameBytes);
                RememberFeatureName(name);
            }

            if (names.Contains(name))
            {
                return false;
            }

            names.Add(name);
            values.Add(featureValue);
            p = SkipSpaces(json, p);
            if (p >= json.Length)
            {
                return false;
            }

            if (json[p] == (byte)'}')
            {
                p++;
                return true;
            }

            if (json[p] != (byte)',')
            {
                return false;
            }

            p = SkipSpaces(json, p + 1);
        }
    }

    private static int SkipSpaces(ReadOnlySpan<byte> json, int p)
    {
        while (p < json.Length && json[p] == (byte)' ')
        {
            p++;
        }

        return p;
    }

    /// <summary>A string of printable ASCII without escapes at <paramref name="p"/> (moved past its closing quote).</summary>
    private static bool TryReadPlainString(ReadOnlySpan<byte> json, ref int p, out ReadOnlySpan<byte> text)
    {
        text = default;
        if (p >= json.Length || json[p] != (byte)'"')
        {
            return false;
        }

        var start = p + 1;
        var end = start;
        while (end < json.Length && json[end] is >= 0x20 and < 0x7F and not (byte)'"' and not (byte)'\\')
        {
            end++;
        }

        if (end >= json.Length || json[end] != (byte)'"')
        {
            return false;
        }

        text = json[start..end];
        p = end + 1;
        return true;
    }

    /// <summary>An id the full parser accepts as it is (not blank, within the length limit) and the id table keeps.</summary>
    private bool TryId(ReadOnlySpan<byte> bytes, char ns, [NotNullWhen(true)] out string? id, out ulong key)
    {
        id = null;
        key = 0;
        if (bytes.Length > _limits.MaxIdLength || bytes.Length > IdStrings.MaxLength || bytes.IndexOfAnyExcept((byte)' ') < 0)
        {
            return false;
        }

        id = IdStrings.Get(bytes, ns, out key);
        return id is not null;
    }

    /// <summary>
    /// A JSON number at <paramref name="p"/> (the grammar exactly: no leading zeros, digits after a point and in an
    /// exponent), converted as <see cref="System.Text.Json.Utf8JsonReader.TryGetDouble"/> does; false for one that is
    /// not finite as a double.
    /// </summary>
    private static bool TryReadNumber(ReadOnlySpan<byte> json, ref int p, out double number)
    {
        number = 0;
        var start = p;
        var q = p;
        if (q < json.Length && json[q] == (byte)'-')
        {
            q++;
        }

        if (!TrySkipInteger(json, ref q))
        {
            return false;
        }

        if (q < json.Length && json[q] == (byte)'.')
        {
            q++;
            if (!TrySkipDigits(json, ref q))
            {
                return false;
            }
        }

        if (q < json.Length && json[q] is (byte)'e' or (byte)'E')
        {
            q++;
            if (q < json.Length && json[q] is (byte)'+' or (byte)'-')
            {
                q++;
            }

            if (!TrySkipDigits(json, ref q))
            {
                return false;
            }
        }

        var token = json[start..q];
        if (!Utf8Parser.TryParse(token, out number, out var used) || used != token.Length || !double.IsFinite(number))
        {
            return false;
        }

        p = q;
        return true;
    }

    /// <summary>Whole milliseconds: digits only, no leading zero, within the full parser's range.</summary>
    private static bool TryReadMilliseconds(ReadOnlySpan<byte> json, ref int p, out long ms)
    {
        const long MaxMs = 253_402_300_799_999;
        ms = 0;
        var q = p;
        if (!TrySkipInteger(json, ref q) || q - p > 15)
        {
            return false;
        }

        foreach (var digit in json[p..q])
        {
            ms = (ms * 10) + (digit - '0');
        }

        if (ms > MaxMs)
        {
            return false;
        }

        p = q;
        return true;
    }

    /// <summary>A JSON integer part: 0, or a digit 1-9 and more digits.</summary>
    private static bool TrySkipInteger(ReadOnlySpan<byte> json, ref int q)
    {
        if (q >= json.Length || !char.IsAsciiDigit((char)json[q]))
        {
            return false;
        }

        if (json[q] == (byte)'0')
        {
            q++;
            return true;
        }

        return TrySkipDigits(json, ref q);
    }

    private static bool TrySkipDigits(ReadOnlySpan<byte> json, ref int q)
    {
        var start = q;
        while (q < json.Length && char.IsAsciiDigit((char)json[q]))
        {
            q++;
        }

        return q > start;
    }
}
