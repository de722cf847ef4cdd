using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using RecoStream.Worker.Configuration;

namespace RecoStream.Worker;

/// <summary>Console logging that writes every level to stderr: stdout carries only protocol output.</summary>
internal static class StderrLogging
{
    public static void Add(ILoggingBuilder logging, LogFormat format)
    {
        if (format == LogFormat.Json)
        {
            // One JSON object per line, for journald/Loki/Elastic; timestamps in UTC ISO-8601.
            logging.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        }

        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
