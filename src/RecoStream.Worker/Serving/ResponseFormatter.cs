using System.Buffers;
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
