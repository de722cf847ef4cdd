using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace RecoStream.Core.Events;

/// <summary>
/// The parse stage: turns one JSON line into an event, a request or a rejection with its reason.
/// Reads UTF-8 directly with <see cref="Utf8JsonReader"/>; unknown fields are skipped so producers can add fields.
/// </summary>
public sealed partial class EventParser : LineParser
{
    private const int MaxFeatureNameLength = 128;

    [Flags]
    private enum Field
    {
        None = 0,
        User = 1,
        Item = 2,
        Type = 4,
        Value = 8,
        Ts = 16,
        Features = 32,
        Op = 64,
        K = 128,
        Token = 256,
        Name = 512,
    }

    private const int NameCacheSize = 32;

    // A static array, not a collection expression at the loop: a Debug build makes that an array per line.
    private static readonly Field[] RequiredOfEvent = [Field.User, Field.Item, Field.Type, Field.Ts];

    [ThreadStatic]
    private static List<string>? _scratchNames;

    [ThreadStatic]
    private static List<double>? _scratchValues;

    [ThreadStatic]
    private static List<string>? _scratchCategories;

    [ThreadStatic]
    private static (byte[] Utf8, string Name)[]? _names;

    [ThreadStatic]
    private static int _nextName;

    private readonly InputLimits _limits;

    public EventParser(InputLimits limits)
    {
        _limits = limits;
    }

    /// <inheritdoc />
    protected override StreamItem ParseLine(long number, ReadOnlySpan<byte> bytes, bool tooLong, StreamItemPool.Renter? recycled)
    {
        if (tooLong)
        {
            return StreamItem.Rejected(number, RejectReason.LineTooLong,
                $"line is longer than the maximum of {_limits.MaxLineBytes} bytes");
        }

        var span = bytes.Trim(" \t\r\n"u8);
        if (span.IsEmpty)
        {
            return StreamItem.Blank(number);
        }

        if (FastPath && TryParseSimple(number, span, recycled, out var simple))
        {
            return simple;
        }

        try
        {
            return ParseObject(number, span, recycled);
        }
        catch (JsonException ex)
        {
            return ContainsNonFiniteLiteral(span)
                ? StreamItem.Rejected(number, RejectReason.NonFiniteNumber, "NaN and Infinity are not numbers in JSON")
                : StreamItem.Rejected(number, RejectReason.MalformedJson, $"malformed JSON: {Explain(ex)}");
        }
        catch (InvalidOperationException)
        {
            // Utf8JsonReader.GetString throws this for strings that are not valid UTF-8.
            return StreamItem.Rejected(number, RejectReason.MalformedJson, "malformed JSON: a string is not valid UTF-8");
        }
    }

    private StreamItem ParseObject(long lineNumber, ReadOnlySpan<byte> json, StreamItemPool.Renter? recycled)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
        if (!reader.Read())
        {
            return StreamItem.Blank(lineNumber);
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            EnsureEnd(ref reader);
            return StreamItem.Rejected(lineNumber, RejectReason.NotAnObject, $"expected a JSON object, got {Describe(reader.TokenType)}");
        }

        var seen = Field.None;
        string? user = null, item = null, rawType = null, op = null, token = null, name = null;
        ulong userKey = 0, itemKey = 0;
        var type = EventType.Unknown;
        double? value = null;
        long ts = 0;
        int? k = null;
        // Per-thread scratch lists (the parser is shared by TCP connections): filled per line, copied into exact arrays.
        var featureNames = _scratchNames ??= [];
        var featureValues = _scratchValues ??= [];
        var categories = _scratchCategories ??= [];
        featureNames.Clear();
        featureValues.Clear();
        categories.Clear();
        StreamItem? failure = null;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = Identify(ref reader);
            reader.Read();
            if (failure is not null)
            {
                reader.Skip();
                continue;
            }

            if (field != Field.None)
            {
                if ((seen & field) != 0)
                {
                    failure = StreamItem.Rejected(lineNumber, RejectReason.DuplicateField, $"field '{Name(field)}' appears more than once");
                    reader.Skip();
                    continue;
                }

                seen |= field;
            }

            switch (field)
            {
                case Field.User:
                    failure = ReadId(ref reader, lineNumber, "user", 'u', out user, out userKey);
                    break;
                case Field.Item:
                    failure = ReadId(ref reader, lineNumber, "item", 'i', out item, out itemKey);
                    break;
                case Field.Type:
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        failure = WrongType(lineNumber, "type", "a string", reader.TokenType);
                        reader.Skip();
                        break;
                    }

                    type = reader.ValueIsEscaped ? EventTypeNames.Parse(Encoding.UTF8.GetBytes(reader.GetString()!)) : EventTypeNames.Parse(reader.ValueSpan);
                    if (type == EventType.Unknown)
                    {
                        rawType = reader.GetString();
                    }

                    break;
                case Field.Value:
                    failure = ReadOptionalNumber(ref reader, lineNumber, "value", out value);
                    break;
                case Field.Ts:
                    failure = ReadTimestamp(ref reader, lineNumber, out ts);
                    break;
                case Field.Features:
                    failure = ReadFeatures(ref reader, lineNumber, featureNames, featureValues, categories);
                    break;
                case Field.Op:
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        failure = WrongType(lineNumber, "op", "a string", reader.TokenType, wasRequest: true);
                        reader.Skip();
                        break;
                    }

                    op = reader.GetString();
                    break;
                case Field.Token:
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        failure = WrongType(lineNumber, "token", "a string", reader.TokenType, wasRequest: true);
                        reader.Skip();
                        break;
                    }

                    token = reader.GetString();
                    break;
                case Field.Name:
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        failure = WrongType(lineNumber, "name", "a string", reader.TokenType, wasRequest: true);
                        reader.Skip();
                        break;
                    }

                    name = reader.GetString();
                    break;
                case Field.K:
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var kValue))
                    {
                        failure = StreamItem.Rejected(lineNumber, RejectReason.BadRequest, "field 'k' must be a whole number", wasRequest: true);
                        reader.Skip();
                        break;
                    }

                    k = kValue;
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw new JsonException("unexpected end of the object.");
        }

        EnsureEnd(ref reader);

        if ((seen & Field.Op) != 0)
        {
            return failure is { WasRequest: true } ? failure : BuildRequest(lineNumber, op!, user, item, k, token, name, failure);
        }

        if (failure is not null)
        {
            return failure;
        }

        foreach (var required in RequiredOfEvent)
        {
            if ((seen & required) == 0)
            {
                return StreamItem.Rejected(lineNumber, RejectReason.MissingField, $"missing field '{Name(required)}'");
            }
        }

        return NewEvent(recycled, lineNumber, user!, item!, type, value, ts, CollectionsMarshal.AsSpan(featureNames),
            CollectionsMarshal.AsSpan(featureValues), CollectionsMarshal.AsSpan(categories), rawType, userKey, itemKey);
    }

    private StreamItem BuildRequest(long lineNumber, string op, string? user, string? item, int? k, string? token, string? name, StreamItem? fieldFailure)
    {
        var requestOp = op switch
        {
            "recommend" => RequestOp.Recommend,
            "predict" => RequestOp.Predict,
            "flush" => RequestOp.Flush,
            "auth" => RequestOp.Auth,
            "snapshot" => RequestOp.Snapshot,
            _ => (RequestOp?)null,
        };
        if (requestOp is null)
        {
            return StreamItem.Rejected(lineNumber, RejectReason.BadRequest,
                $"unknown op '{Truncate(op)}' (allowed: recommend, predict, flush, auth, snapshot)", wasRequest: true);
        }

        if (fieldFailure is not null)
        {
            return StreamItem.Rejected(lineNumber, RejectReason.BadRequest, fieldFailure.Message!, wasRequest: true);
        }

        switch (requestOp.Value)
        {
            case RequestOp.Recommend:
                if (user is null)
                {
                    return StreamItem.Rejected(lineNumber, RejectReason.BadRequest, "recommend needs a 'user'", wasRequest: true);
                }

                var count = k ?? _limits.DefaultK;
                return count < 1 || count > _limits.MaxK
                    ? StreamItem.Rejected(lineNumber, RejectReason.BadRequest, $"'k' must be between 1 and {_limits.MaxK}, got {count}", wasRequest: true)
                    : StreamItem.ForRequest(lineNumber, new StreamRequest(RequestOp.Recommend, user, K: count));
            case RequestOp.Predict:
                return user is null || item is null
                    ? StreamItem.Rejected(lineNumber, RejectReason.BadRequest, "predict needs a 'user' and an 'item'", wasRequest: true)
                    : StreamItem.ForRequest(lineNumber, new StreamRequest(RequestOp.Predict, user, item));
            case RequestOp.Auth:
                return token is null
                    ? StreamItem.Rejected(lineNumber, RejectReason.BadRequest, "auth needs a 'token'", wasRequest: true)
                    : StreamItem.ForRequest(lineNumber, new StreamRequest(RequestOp.Auth, Token: token));
            case RequestOp.Snapshot:
                return name is null || !IsSnapshotName(name)
                    ? StreamItem.Rejected(lineNumber, RejectReason.BadRequest,
                        "snapshot needs a 'name' of 1 to 100 letters, digits, '.', '_' or '-', not starting with '.'", wasRequest: true)
                    : StreamItem.ForRequest(lineNumber, new StreamRequest(RequestOp.Snapshot, Name: name));
            default:
                return StreamItem.ForRequest(lineNumber, new StreamRequest(RequestOp.Flush));
        }
    }

    /// <summary>A snapshot name is one plain folder name: no separators, no '..', nothing hidden.</summary>
    private static bool IsSnapshotName(string name) =>
        name.Length is > 0 and <= 100 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    private static Field Identify(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("user"u8)) { return Field.User; }
        if (reader.ValueTextEquals("item"u8)) { return Field.Item; }
        if (reader.ValueTextEquals("type"u8)) { return Field.Type; }
        if (reader.ValueTextEquals("value"u8)) { return Field.Value; }
        if (reader.ValueTextEquals("ts"u8)) { return Field.Ts; }
        if (reader.ValueTextEquals("features"u8)) { return Field.Features; }
        if (reader.ValueTextEquals("op"u8)) { return Field.Op; }
        if (reader.ValueTextEquals("k"u8)) { return Field.K; }
        if (reader.ValueTextEquals("token"u8)) { return Field.Token; }
        if (reader.ValueTextEquals("name"u8)) { return Field.Name; }
        return Field.None;
    }

    private static string Name(Field field) => field.ToString().ToLowerInvariant();

    private StreamItem? ReadId(ref Utf8JsonReader reader, long lineNumber, string name, char ns, out string? id, out ulong key)
    {
        id = null;
        key = 0;
        if (reader.TokenType != JsonTokenType.String)
        {
            var failure = WrongType(lineNumber, name, "a string", reader.TokenType);
            reader.Skip();
            return failure;
        }

        // A plain ASCII id (no escapes) is looked up among the strings this thread made before.
        id = (reader.ValueIsEscaped || reader.HasValueSequence ? null : IdStrings.Get(reader.ValueSpan, ns, out key)) ?? reader.GetString()!;
        if (string.IsNullOrWhiteSpace(id))
        {
            return StreamItem.Rejected(lineNumber, RejectReason.EmptyId, $"field '{name}' is empty");
        }

        return id.Length > _limits.MaxIdLength
            ? StreamItem.Rejected(lineNumber, RejectReason.IdTooLong, $"field '{name}' is longer than {_limits.MaxIdLength} characters")
            : null;
    }

    private static StreamItem? ReadOptionalNumber(ref Utf8JsonReader reader, long lineNumber, string name, out double? value)
    {
        value = null;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number:
                if (!reader.TryGetDouble(out var d) || !double.IsFinite(d))
                {
                    return StreamItem.Rejected(lineNumber, RejectReason.NonFiniteNumber, $"field '{name}' is outside the range of a double");
                }

                value = d;
                return null;
            default:
                var failure = WrongType(lineNumber, name, "a number", reader.TokenType);
                reader.Skip();
                return failure;
        }
    }

    private static StreamItem? ReadTimestamp(ref Utf8JsonReader reader, long lineNumber, out long ts)
    {
        // Up to the end of year 9999, the range DateTimeOffset can represent; nothing before the epoch.
        const long MaxMs = 253_402_300_799_999;
        ts = 0;
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                if (!reader.TryGetInt64(out ts) || ts < 0 || ts > MaxMs)
                {
                    return StreamItem.Rejected(lineNumber, RejectReason.InvalidTimestamp,
                        "field 'ts' must be whole Unix epoch milliseconds between 0 and 253402300799999");
                }

                return null;
            case JsonTokenType.String:
                var text = reader.GetString()!;
                if (!LooksLikeIsoDate(text) || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
                        DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var parsed))
                {
                    return StreamItem.Rejected(lineNumber, RejectReason.InvalidTimestamp,
                        $"field 'ts' is not an ISO-8601 date-time: '{Truncate(text)}'");
                }

                ts = parsed.ToUnixTimeMilliseconds();
                return ts < 0
                    ? StreamItem.Rejected(lineNumber, RejectReason.InvalidTimestamp, "field 'ts' is before 1970-01-01")
                    : null;
            default:
                var failure = WrongType(lineNumber, "ts", "a number or an ISO-8601 string", reader.TokenType);
                reader.Skip();
                return failure;
        }
    }

    /// <summary>
    /// Reads <c>features</c>: numeric values (normalized later) and string values (categorical: kept as <c>name=value</c>
    /// and hashed by the learners with weight 1).
    /// </summary>
    private StreamItem? ReadFeatures(ref Utf8JsonReader reader, long lineNumber, List<string> names, List<double> values, List<string> categories)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var failure = WrongType(lineNumber, "features", "an object of numbers and strings", reader.TokenType);
            reader.Skip();
            return failure;
        }

        StreamItem? result = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = FeatureName(ref reader);
            reader.Read();
            if (result is not null)
            {
                reader.Skip();
                continue;
            }

            if (name.Length == 0 || name.Length > MaxFeatureNameLength)
            {
                result = StreamItem.Rejected(lineNumber, RejectReason.WrongType,
                    $"feature names must have 1 to {MaxFeatureNameLength} characters");
            }
            else if (reader.TokenType == JsonTokenType.String)
            {
                var category = reader.GetString()!;
                if (names.Contains(name) || HasCategory(categories, name))
                {
                    result = StreamItem.Rejected(lineNumber, RejectReason.DuplicateField, $"feature '{Truncate(name)}' appears more than once");
                }
                else if (category.Length > MaxFeatureNameLength)
                {
                    result = StreamItem.Rejected(lineNumber, RejectReason.WrongType,
                        $"feature '{Truncate(name)}' has a string value longer than {MaxFeatureNameLength} characters");
                }
                else if (names.Count + categories.Count == _limits.MaxFeaturesPerEvent)
                {
                    result = StreamItem.Rejected(lineNumber, RejectReason.TooManyFeatures, $"more than {_limits.MaxFeaturesPerEvent} features");
                }
                else
                {
                    categories.Add(name + "=" + category);
                }
            }
            else if (reader.TokenType != JsonTokenType.Number)
            {
                result = WrongType(lineNumber, $"features.{Truncate(name)}", "a number or a string", reader.TokenType);
            }
            else if (!reader.TryGetDouble(out var d) || !double.IsFinite(d))
            {
                result = StreamItem.Rejected(lineNumber, RejectReason.NonFiniteNumber, $"feature '{Truncate(name)}' is outside the range of a double");
            }
            else if (names.Contains(name) || HasCategory(categories, name))
            {
                result = StreamItem.Rejected(lineNumber, RejectReason.DuplicateField, $"feature '{Truncate(name)}' appears more than once");
            }
            else if (names.Count + categories.Count == _limits.MaxFeaturesPerEvent)
            {
                result = StreamItem.Rejected(lineNumber, RejectReason.TooManyFeatures, $"more than {_limits.MaxFeaturesPerEvent} features");
            }
            else
            {
                names.Add(name);
                values.Add(d);
            }

            reader.Skip();
        }

        return result;
    }

    private static bool HasCategory(List<string> categories, string name)
    {
        foreach (var c in categories)
        {
            if (c.Length > name.Length && c[name.Length] == '=' && c.StartsWith(name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The feature name at the reader, reusing the string of a name this thread has read before (a stream has few
    /// feature names; allocating one string per feature per event would be most of the parser's garbage).
    /// </summary>
    private static string FeatureName(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence && KnownFeatureName(reader.ValueSpan) is { } known)
        {
            return known;
        }

        var name = reader.GetString()!;
        if (!reader.ValueIsEscaped && name.Length <= MaxFeatureNameLength)
        {
            RememberFeatureName(name);
        }

        return name;
    }

    /// <summary>The string of a feature name this thread has read before, by its UTF-8 bytes; null for a new one.</summary>
    private static string? KnownFeatureName(ReadOnlySpan<byte> bytes)
    {
        foreach (var (utf8, known) in _names ??= new (byte[], string)[NameCacheSize])
        {
            if (utf8 is null)
            {
                break;
            }

            if (bytes.SequenceEqual(utf8))
            {
                return known;
            }
        }

        return null;
    }

    private static void RememberFeatureName(string name)
    {
        var cache = _names ??= new (byte[], string)[NameCacheSize];
        cache[_nextName] = (Encoding.UTF8.GetBytes(name), name);
        _nextName = (_nextName + 1) % NameCacheSize;
    }

    private static void EnsureEnd(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new JsonException("trailing data after the JSON value.");
        }
    }

    private static StreamItem WrongType(long lineNumber, string field, string expected, JsonTokenType actual, bool wasRequest = false) =>
        StreamItem.Rejected(lineNumber, wasRequest ? RejectReason.BadRequest : RejectReason.WrongType,
            $"field '{field}' must be {expected}, got {Describe(actual)}", wasRequest);

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        _ => token.ToString(),
    };

    private static bool LooksLikeIsoDate(string s) =>
        s.Length >= 10 && char.IsAsciiDigit(s[0]) && char.IsAsciiDigit(s[1]) && char.IsAsciiDigit(s[2]) && char.IsAsciiDigit(s[3])
        && s[4] == '-' && char.IsAsciiDigit(s[5]) && char.IsAsciiDigit(s[6]) && s[7] == '-' && char.IsAsciiDigit(s[8]) && char.IsAsciiDigit(s[9]);

    /// <summary>True when the line holds a bare NaN or Infinity token outside strings, as some encoders write.</summary>
    private static bool ContainsNonFiniteLiteral(ReadOnlySpan<byte> json)
    {
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                if (c == '\\') { i++; }
                else if (c == '"') { inString = false; }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (json[i..].StartsWith("NaN"u8) || json[i..].StartsWith("Infinity"u8))
            {
                return true;
            }
        }

        return false;
    }

    private static string Explain(JsonException ex)
    {
        var message = ex.Message;
        if (message.StartsWith("Expected depth to be zero", StringComparison.Ordinal))
        {
            return "the line ends before the JSON value is complete";
        }

        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message.TrimEnd('.');
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : string.Concat(s.AsSpan(0, 40), "...");
}
