using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace RecoStream.Worker.Tests;

/// <summary>The real worker as a child process: stdin to write to, stdout lines to read, stderr kept for messages.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly BlockingCollection<string> _stdout = [];
    private readonly StringBuilder _stderr = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;

    private WorkerProcess(Process process)
    {
        _process = process;
        _stdoutPump = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                _stdout.Add(line);
            }

            _stdout.CompleteAdding();
        });
        _stderrPump = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(line);
                }
            }
        });
    }

    public static string WorkerAssembly { get; } = typeof(WorkerProcess).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "WorkerAssembly").Value!;

    public static string RepoRoot { get; } = typeof(WorkerProcess).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;

    public int Id => _process.Id;

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Starts the worker with <paramref name="args"/>, <paramref name="environment"/> added and <paramref name="unset"/> removed.</summary>
    public static WorkerProcess Start(IEnumerable<string> args, IDictionary<string, string>? environment = null, IEnumerable<string>? unset = null)
    {
        Assert.True(File.Exists(WorkerAssembly), $"worker not built at {WorkerAssembly}");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(WorkerAssembly);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        foreach (var key in unset ?? [])
        {
            info.Environment.Remove(key);
        }

        var process = Process.Start(info)!;
        process.StandardInput.AutoFlush = false;
        return new WorkerProcess(process);
    }

    public void Send(string line) => _process.StandardInput.Write(line + "\n");

    public void Send(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            Send(line);
        }
    }

    public void Flush() => _process.StandardInput.Flush();

    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>The next line the worker writes to stdout.</summary>
    public string ReadLine()
    {
        Flush();
        Assert.True(_stdout.TryTake(out var line, Patience), $"no answer on stdout within {Patience}; stderr:\n{Stderr}");
        return line!;
    }

    /// <summary>Every stdout line not read yet, once the process has ended.</summary>
    public List<string> RemainingOutput()
    {
        _stdoutPump.Wait(Patience);
        return [.. _stdout];
    }

    public int WaitForExit()
    {
        Assert.True(_process.WaitForExit(Patience), $"worker still running after {Patience}; stderr:\n{Stderr}");
        _process.WaitForExit();
        _stderrPump.Wait(Patience);
        return _process.ExitCode;
    }

    /// <summary>Sends SIGKILL (kill -9): the process gets no chance to checkpoint or flush anything.</summary>
    public void KillHard()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>True while the process runs.</summary>
    public bool Running => !_process.HasExited;

    /// <summary>Sends SIGTERM, as systemd or docker stop does.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    /// <summary>A TCP port free on loopback right now.</summary>
    public static int FreePort()
    {
        // Below the kernel's range of ephemeral ports (32768-60999 on Linux by default): a port the kernel picked for a
        // listener could be taken by another test's client connection between this check and the worker's bind (seen
        // here as "address already in use"). Each port is handed out once per run, from a random start.
        while (true)
        {
            var port = Interlocked.Increment(ref _nextPort);
            if (port >= LastPort)
            {
                Interlocked.CompareExchange(ref _nextPort, FirstPort, port);
                continue;
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use: the next one.
            }
        }
    }

    private const int FirstPort = 20_000;
    private const int LastPort = 32_000;
    private static int _nextPort = FirstPort + Random.Shared.Next(LastPort - FirstPort - 2_000);

    /// <summary>GETs the worker's /metrics, retrying while the endpoint is not up yet.</summary>
    public static async Task<string> ScrapeAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                return await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
