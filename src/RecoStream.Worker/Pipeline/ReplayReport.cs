using System.Text.Encodings.Web;
using System.Text.Json;
using RecoStream.Worker.Configuration;
using RecoStream.Worker.Sources;

namespace RecoStream.Worker.Pipeline;

/// <summary>Writes the one JSON summary line that <c>replay</c> prints on stdout at the end.</summary>
internal sealed class ReplayReport
{
    private readonly ReplayOptions _replay;
    private readonly StorageOptions _storage;
    private readonly string _learner;

    public ReplayReport(ReplayOptions replay, StorageOptions storage, string learner)
    {
        _replay = replay;
        _storage = storage;
        _learner = learner;
    }

    public void Write(RunResult result, Stream stdout)
    {
        using (var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("events", result.Applied);
            json.WriteNumber("rejected", result.Rejected);
            json.WriteNumber("lines", result.Lines);
            json.WriteNumber("requests", result.Requests);
            json.WriteNumber("seconds", Math.Round(result.Seconds, 3));
            json.WriteNumber("events_per_sec", Math.Round(result.Applied / Math.Max(result.Seconds, 1e-9)));
            json.WriteString("learner", _learner);
            json.WriteString("mode", "incremental");
            WriteNullable(json, "rmse", result.Rmse);
            WriteNullable(json, "mae", result.Mae);
            json.WriteString("format", _replay.Format);
            json.WriteString("file", _replay.File);
            json.WriteString("store", _storage.Path);
            json.WriteEndObject();
        }

        stdout.WriteByte((byte)'\n');
        stdout.Flush();
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            json.WriteNumber(name, Math.Round(v, 6));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
