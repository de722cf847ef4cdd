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
    public ReplayReport(ReplayOptions replay, StorageOptions storage)
    {
        _replay = replay;
        _storage = storage;
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
            json.WriteString("learner", result.Serving);
            json.WriteString("mode", result.ServingMode);
            WriteQuality(json, result.Learners.Single(l => l.Name == result.Serving));
            json.WriteStartObject("learners");
            foreach (var learner in result.Learners)
            {
                json.WriteStartObject(learner.Name);
                json.WriteNumber("learned", learner.Learned);
                json.WriteString("mode", learner.Mode);
                WriteQuality(json, learner);
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteString("format", _replay.Format);
            json.WriteString("file", _replay.File);
            json.WriteString("store", _storage.Path);
            json.WriteNumber("resumed_after_line", _replay.SkipLines);
            json.WriteNumber("checkpoints", result.Checkpoints);
            // Performance of the run: arrival (read from the file) to model updated, CPU time and peak memory of the process.
            WriteNullable(json, "latency_p50_ms", result.LatencyP50Ms);
            WriteNullable(json, "latency_p99_ms", result.LatencyP99Ms);
            using var process = System.Diagnostics.Process.GetCurrentProcess();
            json.WriteNumber("cpu_seconds", Math.Round(process.TotalProcessorTime.TotalSeconds, 2));
            json.WriteNumber("peak_rss_mib", PeakRssMib() ?? Math.Round(process.PeakWorkingSet64 / 1048576.0));
            // The garbage collector's share: managed memory allocated by the whole process (start-up included), how many
            // collections that took and how long they paused the process.
            json.WriteNumber("allocated_mib", Math.Round(GC.GetTotalAllocatedBytes(precise: true) / 1048576.0, 1));
            json.WriteNumber("gc_collections", GC.CollectionCount(0));
            json.WriteNumber("gc_pause_ms", Math.Round(GC.GetTotalPauseDuration().TotalMilliseconds, 1));
            // Of those, the compacting collections after checkpoint writes (at most 1 in 50 of the time).
            json.WriteNumber("heap_compactions", result.HeapCompactions.Count);
            json.WriteNumber("heap_compaction_pause_ms", Math.Round(result.HeapCompactions.PauseMs, 1));
            json.WriteNumber("native_heap_trims", result.NativeTrims);
            // What the model and the worker hold at the end, after a full collection (after the counts above, which it would
            // change): unlike the peak RSS it does not depend on when the collector last ran.
            json.WriteNumber("live_heap_mib", Math.Round(GC.GetTotalMemory(forceFullCollection: true) / 1048576.0, 1));
            json.WriteEndObject();
        }

        stdout.WriteByte((byte)'\n');
        stdout.Flush();
    }

    /// <summary>VmHWM from /proc (the kernel's high-water mark of resident memory), in MiB; null off Linux.</summary>
    private static double? PeakRssMib() => ProcessStatus.Kilobytes("VmHWM") is [> 0 and var peak] ? Math.Round(peak / 1024.0) : null;

    private static void WriteQuality(Utf8JsonWriter json, LearnerRun learner)
    {
        WriteNullable(json, "rmse", learner.Rmse);
        WriteNullable(json, "mae", learner.Mae);
        WriteNullable(json, "recall_at_10", learner.RecallAt10);
        WriteNullable(json, "ndcg_at_10", learner.NdcgAt10);
        WriteNullable(json, "log_loss", learner.LogLoss);
        WriteNullable(json, "auc", learner.Auc);
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
