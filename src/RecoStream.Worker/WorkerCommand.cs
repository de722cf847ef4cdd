using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RecoStream.Core.Events;
using RecoStream.Core.Processing;
using RecoStream.Core.Ranking;
using RecoStream.Core.Routing;
using RecoStream.Storage;
using RecoStream.Worker.Configuration;
using RecoStream.Worker.Metrics;
using RecoStream.Worker.Pipeline;
using RecoStream.Worker.Serving;
using RecoStream.Worker.Sources;

namespace RecoStream.Worker;

/// <summary>
/// The command line: <c>RecoStream.Worker [settings]</c> runs the worker (stdin, and TCP when enabled);
/// <c>RecoStream.Worker replay FILE [--format auto|jsonl|movielens] [--progress] [settings]</c> replays a file.
/// Both build the same host and pipeline; they differ only in their sources and what they print.
/// </summary>
internal static class WorkerCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var replayRequested = args.Length > 0 && args[0] == "replay";
        if (args.Any(a => a is "--help" or "-h" or "-?"))
        {
            Console.Out.Write(replayRequested ? Usage.Replay : Usage.Worker);
            return 0;
        }

        if (args.Length > 0 && args[0] == "healthcheck")
        {
            return await HealthcheckAsync(args[1..]).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "snapshot")
        {
            return await SnapshotAsync(args[1..]).ConfigureAwait(false);
        }

        ReplayOptions? replay = null;
        if (replayRequested)
        {
            if (!TryParseReplay(args, out replay, out args, out var problem))
            {
                Console.Error.Write($"recostream replay: {problem}\n\n{Usage.Replay}");
                return 2;
            }
        }
        else if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            Console.Error.Write($"recostream: unknown command '{args[0]}'\n\n{Usage.Worker}");
            return 2;
        }

        if (!TryTakeConfigFile(ref args, out var configFile, out var configProblem))
        {
            Console.Error.WriteLine($"recostream: {configProblem}");
            return 2;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            // appsettings.json ships beside the binary; relative paths in settings still resolve against the working directory.
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (configFile is not null)
        {
            // Right after the shipped appsettings.json, so environment variables and the command line still override it.
            var position = builder.Configuration.Sources.ToList().FindIndex(s => s is Microsoft.Extensions.Configuration.Json.JsonConfigurationSource) + 1;
            var source = new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
            {
                Path = Path.GetFileName(configFile),
                // Polled (every few seconds) rather than inotify events, which were seen to miss a change under load.
                FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.GetDirectoryName(configFile)!)
                {
                    UsePollingFileWatcher = true,
                    UseActivePolling = true,
                },
                Optional = false,
                ReloadOnChange = true,
            };
            builder.Configuration.Sources.Insert(Math.Max(position, 0), source);
        }
        var settings = WorkerSettings.Read(builder.Configuration, out var errors);
        builder.Logging.ClearProviders();
        StderrLogging.Add(builder.Logging, settings.Diagnostics.LogFormat);
        if (errors.Count > 0)
        {
            Console.Error.WriteLine("recostream: invalid configuration:");
            foreach (var error in errors)
            {
                Console.Error.WriteLine("  " + error);
            }

            return 2;
        }

        if (replay is not null)
        {
            // A replay is a batch job beside (not instead of) a running worker: it opens no ports and never drops lines.
            settings.Metrics.Port = 0;
            settings.Ingest.Tcp.Port = 0;
            settings.Ingest.FullMode = QueueFullMode.Wait;
            // Offline, every positive event is ranked for Recall@10 and NDCG@10.
            settings.Evaluation.RankingEvery = Math.Min(settings.Evaluation.RankingEvery, 1);
        }

        if (replay?.Mode is { } mode)
        {
            for (var i = 0; i < settings.Learners.Count; i++)
            {
                settings.Learners[i] = settings.Learners[i].WithMode(mode);
            }
        }

        if (replay?.Learner is { } only)
        {
            // replay --learner NAME evaluates that learner alone (it also serves, for the requests in the file).
            var chosen = settings.Learners.FirstOrDefault(l => l.Name == only);
            if (chosen is null)
            {
                Console.Error.WriteLine($"recostream replay: --learner '{only}' is not configured (configured: {string.Join(", ", settings.Learners.Select(l => l.Name))})");
                return 2;
            }

            settings.Learners.RemoveAll(l => l != chosen);
            settings.ServingLearner = only;
        }

        var state = new ModelState(settings.Features, [.. settings.Learners.Select(l => l.Build())], settings.ServingLearner,
            settings.Serving.MaxInteractionsPerUser, new Preprocessing(settings.Preprocessing, TimeProvider.System), settings.Serving.MaxUsers);
        CheckpointStore store;
        try
        {
            store = CheckpointStore.Open(settings.Storage.Path, settings.Storage.SyncWrites, settings.Storage.KeepCheckpoints,
                (long)settings.Storage.BlockCacheMiB << 20);
            GcTrace.Watch(store);
        }
        catch (CheckpointCorruptException ex)
        {
            Console.Error.WriteLine($"recostream: refusing to start: {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is RocksDbSharp.RocksDbException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"recostream: cannot open the store at '{Path.GetFullPath(settings.Storage.Path)}' " +
                                    $"(RecoStream:Storage:Path): {ex.Message}");
            return 1;
        }

        using (store)
        {
            try
            {
                var restoreStarted = System.Diagnostics.Stopwatch.GetTimestamp();
                var rowsInStore = settings.Learners.Where(l => l.RowsInStore).Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
                var snapshot = store.ReadLatest(rowsInStore.Contains);
                foreach (var fallback in store.Fallbacks)
                {
                    Console.Error.WriteLine($"recostream: warning: {fallback}; falling back to an older checkpoint");
                }

                if (snapshot is not null)
                {
                    state.Restore(snapshot);
                }

                foreach (var slot in state.Learners)
                {
                    slot.Learner.AttachRowStore(store.RowsOf(slot.Name));
                }

                if (snapshot is not null)
                {
                    Console.Error.WriteLine($"recostream: restored checkpoint {store.Generation} from '{settings.Storage.Path}': {snapshot.EventsApplied} events applied, " +
                                            $"{snapshot.Catalog.Ids.Count} items, {snapshot.History.Users.Count} users " +
                                            $"in {System.Diagnostics.Stopwatch.GetElapsedTime(restoreStarted).TotalSeconds:F2} s");
                }

                if (replay is not null)
                {
                    var fingerprint = ReplayOptions.Fingerprint(replay.File);
                    if (!replay.FromStart && snapshot?.Position is { Source: ReplayOptions.PositionSource } stored && stored.Fingerprint == fingerprint)
                    {
                        replay.SkipLines = stored.Line;
                        Console.Error.WriteLine($"recostream replay: the store has applied {replay.File} up to line {stored.Line}; resuming after it " +
                                                "(--from-start replays it again)");
                    }

                    state.Position = new SourcePosition(ReplayOptions.PositionSource, fingerprint, replay.SkipLines);
                    state.PositionLine = replay.SkipLines;
                }
            }
            catch (Exception ex) when (ex is CheckpointCorruptException or InvalidOperationException)
            {
                Console.Error.WriteLine($"recostream: refusing to start: {ex.Message}");
                return 1;
            }

            var restoredAt = store.LatestCheckpointTime();
            AddServices(builder.Services, settings, state, store, replay, restoredAt);
            using var host = builder.Build();
            try
            {
                await host.RunAsync().ConfigureAwait(false);
            }
            catch (InvalidOperationException ex)
            {
                Console.Error.WriteLine($"recostream: {ex.Message}");
                return 1;
            }
        }

        return Environment.ExitCode;
    }

    /// <summary>
    /// <c>healthcheck</c>: GETs the running worker's <c>/healthz</c> (for a container HEALTHCHECK, which has no curl);
    /// exit 0 when it answers 200, 1 otherwise.
    /// </summary>
    private static async Task<int> HealthcheckAsync(string[] args)
    {
        var configuration = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        }).Configuration;
        var settings = WorkerSettings.Read(configuration, out var errors);
        if (errors.Count > 0 || settings.Metrics.Port == 0)
        {
            Console.Error.WriteLine(errors.Count > 0 ? string.Join('\n', errors) : "recostream healthcheck: the HTTP endpoint is off (RecoStream:Metrics:Port is 0)");
            return 1;
        }

        var host = settings.Metrics.Host is "*" or "localhost" ? "127.0.0.1" : settings.Metrics.Host;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await http.GetAsync(new Uri($"http://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{settings.Metrics.Port}/healthz"))
                .ConfigureAwait(false);
            Console.Out.WriteLine($"healthz: {(int)response.StatusCode}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"recostream healthcheck: {ex.Message}");
            return 1;
        }
    }

    /// <summary>
    /// <c>snapshot NAME</c>: asks the running worker, over its TCP port, to write a copy of its store to
    /// <c>Storage:SnapshotPath/NAME</c>; prints the answer; exit 0 when it was written.
    /// </summary>
    private static async Task<int> SnapshotAsync(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            Console.Error.WriteLine("recostream snapshot: which name? usage: snapshot NAME [--RecoStream:Ingest:Tcp:Port=N]");
            return 2;
        }

        var name = args[0];
        var configuration = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args[1..],
            ContentRootPath = AppContext.BaseDirectory,
        }).Configuration;
        var settings = WorkerSettings.Read(configuration, out var errors);
        if (errors.Count > 0 || settings.Ingest.Tcp.Port == 0)
        {
            Console.Error.WriteLine(errors.Count > 0 ? string.Join('\n', errors)
                : "recostream snapshot: the worker's TCP port is off (RecoStream:Ingest:Tcp:Port is 0); the snapshot op can also be sent on stdin");
            return 2;
        }

        var host = settings.Ingest.Tcp.Host is "*" or "localhost" ? "127.0.0.1" : settings.Ingest.Tcp.Host;
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await client.ConnectAsync(host, settings.Ingest.Tcp.Port, timeout.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
            var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
            await using (writer.ConfigureAwait(false))
            {
                if (settings.Security.Token.Length > 0)
                {
                    await writer.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["op"] = "auth", ["token"] = settings.Security.Token }))
                        .ConfigureAwait(false);
                    await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false);
                }

                await writer.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["op"] = "snapshot", ["name"] = name }))
                    .ConfigureAwait(false);
                var answer = await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false) ?? "";
                Console.Out.WriteLine(answer);
                return answer.Contains("\"ok\":true", StringComparison.Ordinal) ? 0 : 1;
            }
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or OperationCanceledException)
        {
            Console.Error.WriteLine($"recostream snapshot: cannot reach the worker at {host}:{settings.Ingest.Tcp.Port}: {ex.Message}");
            return 1;
        }
    }

    private static void AddServices(IServiceCollection services, WorkerSettings settings, ModelState state, CheckpointStore store, ReplayOptions? replay,
        long? restoredCheckpointUnixMs)
    {
        var metrics = new WorkerMetrics(state);
        if (restoredCheckpointUnixMs is { } restored)
        {
            metrics.LastCheckpoint.Set(restored / 1000.0);
        }

        var events = new EventParser(settings.Limits);
        // The replayed file's format; every other source speaks JSON Lines.
        LineParser parser = replay?.Layout is { } layout ? new MovieLensParser(layout) : events;

        services.AddSystemd();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(settings.Storage);
        services.AddSingleton(settings.Metrics);
        services.AddSingleton(settings.Ingest);
        services.AddSingleton(settings.Limits);
        services.AddSingleton(settings.Security);
        services.AddSingleton(settings.Diagnostics);
        services.AddSingleton(store);
        services.AddSingleton(state);
        services.AddSingleton(metrics);
        services.AddSingleton<WorkerStatus>();
        services.AddSingleton<IngestQueue>();
        services.AddSingleton<PendingLines>();
        services.AddSingleton<PipelineCounters>();
        services.AddSingleton(events);
        services.AddSingleton(parser);
        services.AddSingleton(new StreamPipeline(parser, state.Preprocessing,
            new IncrementalRoute(state, new LabelPolicy(settings.Labels), settings.Evaluation), System.Reactive.Concurrency.DefaultScheduler.Instance,
            static () => Environment.TickCount64));
        services.AddSingleton(new Recommender(() => state.Learner, state.Catalog, state.History));
        services.AddSingleton<RejectionLog>();
        services.AddSingleton<Checkpointer>();
        services.AddSingleton<OutcomeHandler>();

        services.AddHostedService<HttpEndpoint>();
        services.AddHostedService<PipelineService>();
        services.AddHostedService<ProgressReporter>();
        // Sources start last, once the pipeline is consuming.
        if (replay is not null)
        {
            services.AddSingleton(replay);
            services.AddSingleton(new ReplayReport(replay, settings.Storage));
            services.AddSingleton(new ReplayOrigin(metrics));
            services.AddSingleton<ReplaySource>();
            services.AddHostedService(sp => sp.GetRequiredService<ReplaySource>());
        }
        else
        {
            services.AddHostedService<LearnerReconfiguration>();
            services.AddSingleton(new StdinOrigin(Console.OpenStandardOutput(), metrics));
            services.AddHostedService<StdinSource>();
            if (settings.Ingest.Tcp.Port != 0)
            {
                services.AddHostedService<TcpSource>();
            }
        }
    }

    /// <summary>Takes <c>--config FILE</c> out of the arguments: a JSON settings file watched for changes.</summary>
    private static bool TryTakeConfigFile(ref string[] args, out string? file, out string problem)
    {
        file = null;
        problem = "";
        var index = Array.IndexOf(args, "--config");
        if (index < 0)
        {
            return true;
        }

        if (index + 1 >= args.Length || !File.Exists(args[index + 1]))
        {
            problem = index + 1 >= args.Length ? "--config needs a file" : $"--config: no such file: {args[index + 1]}";
            return false;
        }

        file = Path.GetFullPath(args[index + 1]);
        args = [.. args[..index], .. args[(index + 2)..]];
        return true;
    }

    private static bool TryParseReplay(string[] args, out ReplayOptions? replay, out string[] configurationArgs, out string problem)
    {
        replay = null;
        problem = "";
        string? file = null;
        var format = "auto";
        var progress = false;
        var fromStart = false;
        string? learner = null;
        string? mode = null;
        var rest = new List<string>();
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--format" when i + 1 < args.Length:
                    format = args[++i];
                    break;
                case "--progress":
                    progress = true;
                    break;
                case "--from-start":
                    fromStart = true;
                    break;
                case "--learner" when i + 1 < args.Length:
                    learner = args[++i];
                    break;
                case "--mode" when i + 1 < args.Length:
                    mode = args[++i];
                    break;
                case var a when a.StartsWith("--format=", StringComparison.Ordinal):
                    format = a["--format=".Length..];
                    break;
                case var a when a.StartsWith("--", StringComparison.Ordinal) && a.Contains(':', StringComparison.Ordinal):
                    rest.Add(a);
                    break;
                case var a when !a.StartsWith('-') && file is null:
                    file = a;
                    break;
                default:
                    configurationArgs = [];
                    problem = $"unexpected argument '{args[i]}'";
                    return false;
            }
        }

        configurationArgs = [.. rest];
        if (file is null)
        {
            problem = "which file? usage: replay FILE [--format auto|jsonl|movielens]";
            return false;
        }

        if (!File.Exists(file))
        {
            problem = $"no such file: {file}";
            return false;
        }

        if (mode is not (null or "incremental" or "windowed-batch"))
        {
            problem = $"--mode '{mode}' is not one of incremental, windowed-batch";
            return false;
        }

        if (format is not ("auto" or "jsonl" or "movielens"))
        {
            problem = $"--format '{format}' is not one of auto, jsonl, movielens";
            return false;
        }

        var first = FirstLine(file);
        MovieLensLayout? layout = null;
        if (format != "jsonl")
        {
            layout = first.IsEmpty || first.Span.TrimStart(" \t"u8).StartsWith("{"u8) ? null : MovieLensParser.Detect(first.Span);
            if (format == "movielens" && layout is null)
            {
                problem = $"{file} does not look like MovieLens ratings (u.data, ratings.dat or ratings.csv)";
                return false;
            }
        }

        replay = new ReplayOptions(file, layout is null ? "jsonl" : "movielens", layout, progress, learner,
            mode switch { "incremental" => LearnerMode.Incremental, "windowed-batch" => LearnerMode.WindowedBatch, _ => null }, fromStart);
        return true;
    }

    private static ReadOnlyMemory<byte> FirstLine(string file)
    {
        using var stream = File.OpenRead(file);
        var buffer = new byte[4096];
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        ReadOnlyMemory<byte> span = buffer.AsMemory(0, read);
        while (!span.IsEmpty)
        {
            var newline = span.Span.IndexOf((byte)'\n');
            var line = newline < 0 ? span : span[..newline];
            if (!line.Span.Trim(" \t\r"u8).IsEmpty)
            {
                return line;
            }

            span = newline < 0 ? ReadOnlyMemory<byte>.Empty : span[(newline + 1)..];
        }

        return ReadOnlyMemory<byte>.Empty;
    }
}
