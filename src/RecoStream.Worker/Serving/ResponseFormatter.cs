using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using RecoStream.Core.Ranking;

namespace RecoStream.Worker.Serving;

/// <summary>
/// Formats protocol answers as one-line JSON into a reused buffer. The span returned is valid until the next
/// call; one formatter belongs to one thread.
/// </summary>
internal sealed class ResponseFormatter : IDisposable
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;

    public ResponseFormatter()
    {
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions
        {
            // Answers go to a pipe, a socket or an API client, never into HTML: keep quotes and non-ASCII ids readable.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
    }

    /// <summary>
    /// <c>{"user":"u42","items":[{"item":"i3","score":4.71},...],"source":"model"}</c>; the source is <c>popular</c>
    /// when the user is unknown and the most popular items (scored by interaction count) stand in.
    /// </summary>
    public ReadOnlySpan<byte> Recommendation(Recommendation recommendation)
    {
        if (TryPlainRecommendation(recommendation))
        {
            return _buffer.WrittenSpan;
        }

        Begin();
        _json.WriteString("user"u8, recommendation.User);
        _json.WriteStartArray("items"u8);
        foreach (var item in recommendation.Items)
        {
            _json.WriteStartObject();
            _json.WriteString("item"u8, item.Item);
            _json.WriteNumber("score"u8, item.Score);
            _json.WriteEndObject();
        }

        _json.WriteEndArray();
        _json.WriteString("source"u8, recommendation.Source);
        return End();
    }

    /// <summary>
    /// The answer of <see cref="Recommendation(Core.Ranking.Recommendation)"/> written directly, byte for byte what the JSON
    /// writer writes, when every id is printable ASCII without a quote or a backslash (nothing to escape) and every score
    /// is finite; false (and the caller writes it with the JSON writer) otherwise.
    /// </summary>
    private bool TryPlainRecommendation(Recommendation recommendation)
    {
        _buffer.ResetWrittenCount();
        _buffer.Write("{\"user\":\""u8);
        if (!TryWritePlain(recommendation.User))
        {
            return false;
        }

        _buffer.Write("\",\"items\":["u8);
        var items = recommendation.Items;
        for (var i = 0; i < items.Count; i++)
        {
            _buffer.Write(i == 0 ? "{\"item\":\""u8 : ",{\"item\":\""u8);
            var score = items[i].Score;
            if (!TryWritePlain(items[i].Item) || !float.IsFinite(score))
            {
                return false;
            }

            _buffer.Write("\",\"score\":"u8);
            var digits = _buffer.GetSpan(32);
            if (!score.TryFormat(digits, out var written, default, CultureInfo.InvariantCulture))
            {
                return false;
            }

            _buffer.Advance(written);
            _buffer.Write("}"u8);
        }

        _buffer.Write("],\"source\":\""u8);
        if (!TryWritePlain(recommendation.Source))
        {
            return false;
        }

        _buffer.Write("\"}"u8);
        return true;
    }

    /// <summary>Bytes that a JSON string may hold as they are: printable ASCII but the quote and the backslash.</summary>
    private static readonly SearchValues<byte> NeedsEscaping = SearchValues.Create([.. Enumerable.Range(0, 128)
        .Where(b => b < 0x20 || b == '"' || b == '\\' || b == 0x7F).Select(b => (byte)b)]);

    /// <summary>Writes a string that needs no escaping as its ASCII bytes; false when it is not one.</summary>
    private bool TryWritePlain(string value)
    {
        var bytes = _buffer.GetSpan(value.Length);
        if (Ascii.FromUtf16(value, bytes, out var written) != OperationStatus.Done || bytes[..written].ContainsAny(NeedsEscaping))
        {
            return false;
        }

        _buffer.Advance(written);
        return true;
    }

    /// <summary><c>{"user":"u42","item":"i3","score":4.1}</c>.</summary>
    public ReadOnlySpan<byte> Prediction(string user, string item, double score)
    {
        Begin();
        _json.WriteString("user"u8, user);
        _json.WriteString("item"u8, item);
        _json.WriteNumber("score"u8, (float)score);
        return End();
    }

    /// <summary><c>{"ok":true,"accepted":N,"rejected":M}</c>.</summary>
    public ReadOnlySpan<byte> Flushed(long accepted, long rejected)
    {
        Begin();
        _json.WriteBoolean("ok"u8, true);
        _json.WriteNumber("accepted"u8, accepted);
        _json.WriteNumber("rejected"u8, rejected);
        return End();
    }

    /// <summary><c>{"ok":true,"snapshot":"/path","events":N}</c>.</summary>
    public ReadOnlySpan<byte> Snapshot(string path, long events)
    {
        Begin();
        _json.WriteBoolean("ok"u8, true);
        _json.WriteString("snapshot"u8, path);
        _json.WriteNumber("events"u8, events);
        return End();
    }

    /// <summary><c>{"ok":true}</c>.</summary>
    public ReadOnlySpan<byte> Ok()
    {
        Begin();
        _json.WriteBoolean("ok"u8, true);
        return End();
    }

    /// <summary><c>{"error":"...","line":N}</c>; the line is left out when it is not known (0).</summary>
    public ReadOnlySpan<byte> Error(string message, long lineNumber)
    {
        Begin();
        _json.WriteString("error"u8, message);
        if (lineNumber > 0)
        {
            _json.WriteNumber("line"u8, lineNumber);
        }

        return End();
    }

    public void Dispose() => _json.Dispose();

    private void Begin()
    {
        _buffer.ResetWrittenCount();
        _json.Reset();
        _json.WriteStartObject();
    }

    private ReadOnlySpan<byte> End()
    {
        _json.WriteEndObject();
        _json.Flush();
        return _buffer.WrittenSpan;
    }
}
