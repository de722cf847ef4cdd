using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RecoStream.Core.Events;
using RecoStream.Core.Processing;
using RecoStream.Core.Ranking;
using RecoStream.Core.Routing;
using RecoStream.Storage;
using RecoStream.Worker;
using RecoStream.Worker.Configuration;
using RecoStream.Worker.Metrics;
using RecoStream.Worker.Pipeline;
using RecoStream.Worker.Serving;
using RecoStream.Worker.Sources;

if (args.Any(a => a is "--help" or "-h" or "-?"))
{
    Console.Out.Write(Usage.Text);
    return 0;
}

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    // appsettings.json ships beside the binary; relative paths in settings still resolve against the working directory.
    ContentRootPath = AppContext.BaseDirectory,
});

// stdout carries only protocol answers: every log line goes to stderr.
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
});
builder.Logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

var settings = WorkerSettings.Read(builder.Configuration, out var errors);
if (errors.Count > 0)
{
    Console.Error.WriteLine("recostream: invalid configuration:");
    foreach (var error in errors)
    {
        Console.Error.WriteLine("  " + error);
    }

    return 2;
}

var state = new ModelState(settings.Features, settings.Learner, settings.Serving.MaxInteractionsPerUser);
CheckpointStore store;
try
{
    store = CheckpointStore.Open(settings.Storage.Path, settings.Storage.SyncWrites);
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
        var snapshot = store.ReadLatest();
        if (snapshot is not null)
        {
            state.Restore(snapshot);
            Console.Error.WriteLine($"recostream: restored checkpoint from '{settings.Storage.Path}': {snapshot.EventsApplied} events applied, " +
                                    $"{snapshot.Catalog.Ids.Count} items, {snapshot.History.Users.Count} users");
        }
    }
    catch (Exception ex) when (ex is CheckpointCorruptException or InvalidOperationException)
    {
        Console.Error.WriteLine($"recostream: refusing to start: {ex.Message}");
        return 1;
    }

    var services = builder.Services;
    services.AddSystemd();
    services.AddSingleton(TimeProvider.System);
    services.AddSingleton(settings.Storage);
    services.AddSingleton(settings.Metrics);
    services.AddSingleton(settings.Ingest);
    services.AddSingleton(settings.Limits);
    services.AddSingleton(settings.Diagnostics);
    services.AddSingleton(store);
    services.AddSingleton(state);
    services.AddSingleton(new WorkerMetrics(state.Learner.Name));
    services.AddSingleton<IngestQueue>();
    services.AddSingleton<PipelineCounters>();
    services.AddSingleton(new EventParser(settings.Limits));
    services.AddSingleton(new EventValidator());
    services.AddSingleton(new IncrementalRoute(state, new LabelPolicy(settings.Labels)));
    services.AddSingleton(sp => new StreamPipeline(
        sp.GetRequiredService<EventParser>(), sp.GetRequiredService<EventValidator>(), state.Normalizer, sp.GetRequiredService<IncrementalRoute>()));
    services.AddSingleton(new Recommender(state.Learner, state.Catalog, state.History));
    services.AddSingleton(new ResponseWriter(Console.OpenStandardOutput()));
    services.AddSingleton<RejectionLog>();
    services.AddSingleton<Checkpointer>();
    services.AddSingleton<OutcomeHandler>();
    services.AddHostedService<MetricsEndpoint>();
    services.AddHostedService<PipelineService>();
    services.AddHostedService<ProgressReporter>();
    // The source starts last, once the pipeline is consuming.
    services.AddHostedService<StdinSource>();

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
