using System.Buffers;
using System.Text.Json;
using RecoStream.Core.Ranking;

namespace RecoStream.Worker.Serving;

/// <summary>
/// Writes protocol answers to standard output, one JSON object per line, flushed per line so that a client
/// reading the pipe sees each answer at once. Nothing else is ever written to stdout.
/// </summary>
internal sealed class ResponseWriter : IDisposable
{
    private readonly Stream _output;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;

    public ResponseWriter(Stream output)
    {
        _output = output;
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions
        {
            // Answers go to a pipe or socket, never into HTML: keep quotes and non-ASCII ids readable.
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
    }

    /// <summary>
    /// <c>{"user":"u42","items":[{"item":"i3","score":4.71},...],"source":"model"}</c>; the source is <c>popular</c>
    /// when the user is unknown and the most popular items (scored by interaction count) stand in.
    /// </summary>
    public void WriteRecommendation(Recommendation recommendation)
    {
        _json.WriteStartObject();
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
        _json.WriteEndObject();
        Flush();
    }

    /// <summary><c>{"error":"...","line":N}</c> for a request that could not be answered.</summary>
    public void WriteError(string message, long lineNumber)
    {
        _json.WriteStartObject();
        _json.WriteString("error"u8, message);
        _json.WriteNumber("line"u8, lineNumber);
        _json.WriteEndObject();
        Flush();
    }

    public void Dispose() => _json.Dispose();

    private void Flush()
    {
        _json.Flush();
        _json.Reset();
        _output.Write(_buffer.WrittenSpan);
        _output.WriteByte((byte)'\n');
        _output.Flush();
        _buffer.ResetWrittenCount();
    }
}
