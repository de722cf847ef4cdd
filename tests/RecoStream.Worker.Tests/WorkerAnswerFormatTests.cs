using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace RecoStream.Worker.Tests;

/// <summary>
/// A recommend answer is written directly when none of its ids needs escaping, and with the JSON writer otherwise:
/// either way it must be byte for byte what the JSON writer writes (ids with quotes, backslashes or non-ASCII letters
/// escaped as before, scores in the same shortest form).
/// </summary>
public sealed class WorkerAnswerFormatTests : IDisposable
{
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    /// <summary>The answer as the JSON writer writes it, from the values the answer holds.</summary>
    private static string Rewritten(string answer)
    {
        var root = JsonDocument.Parse(answer).RootElement;
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("user", root.GetProperty("user").GetString());
            json.WriteStartArray("items");
            foreach (var item in root.GetProperty("items").EnumerateArray())
            {
                json.WriteStartObject();
                json.WriteString("item", item.GetProperty("item").GetString());
                json.WriteNumber("score", item.GetProperty("score").GetSingle());
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("source", root.GetProperty("source").GetString());
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void Recommend_AnswersOfPlainAndEscapedIds_AreWhatTheJsonWriterWrites()
    {
        // 40 users and 60 items, some of each with ids that need escaping in JSON.
        string[] odd = ["quo\\\"te", "back\\\\slash", "caf\u00e9", "tab\\there", "<b>&amp;"];
        var rng = new Random(5);
        string User(int u) => u % 8 == 0 ? odd[u / 8 % odd.Length] + u : "u" + u;
        string Item(int i) => i % 12 == 0 ? odd[i / 12 % odd.Length] + i : "i" + i;
        var lines = new List<string>();
        for (var n = 0; n < 4_000; n++)
        {
            lines.Add($$"""{"user":"{{User(rng.Next(40))}}","item":"{{Item(rng.Next(60))}}","type":"rating","value":{{rng.Next(1, 6)}},"ts":{{1_700_000_000_000L + (n * 1000L)}}}""");
        }

        using var worker = WorkerProcess.Start([$"--RecoStream:Storage:Path={_store.Path}", "--RecoStream:Metrics:Port=0"]);
        worker.Send(lines);
        var users = Enumerable.Range(0, 40).Select(User).Append("nobody").ToList();
        foreach (var user in users)
        {
            worker.Send($$"""{"op":"recommend","user":"{{user}}","k":20}""");
        }

        worker.Flush();
        var escaped = 0;
        foreach (var user in users)
        {
            var answer = worker.ReadLine();
            Assert.Equal(Rewritten(answer), answer);
            Assert.Equal(JsonDocument.Parse($"\"{user}\"").RootElement.GetString(), JsonDocument.Parse(answer).RootElement.GetProperty("user").GetString());
            Assert.NotEmpty(JsonDocument.Parse(answer).RootElement.GetProperty("items").EnumerateArray());
            escaped += answer.Contains('\\', StringComparison.Ordinal) ? 1 : 0;
        }

        // Both paths taken: answers with an id that needs escaping, and answers without.
        Assert.InRange(escaped, 1, users.Count - 1);
    }
}
