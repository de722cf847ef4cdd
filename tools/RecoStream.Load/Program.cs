using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using RecoStream.EventGen;

const string Help = """
    RecoStream.Load: drives a running worker over its TCP line protocol (127.0.0.1).

    Usage:
      RecoStream.Load ingest --port P [--clients N] [--events E] [--items I] [--users U] [--file F]
          N clients (default 4) each send E/N generated events (default 1,000,000 in all) as fast as the
          socket takes them, then {"op":"flush"}; prints events/s from first byte to the last flush answer.
          With --file, the clients send the file's lines instead (client c the lines n with n mod N = c).
      RecoStream.Load recommend --port P [--clients N] [--requests R] [--k K] [--users U] [--pipeline W]
          N clients (default 4) each send R/N recommend requests (default 100,000 in all) for random users
          u1..uU, one at a time, waiting for each answer; prints requests/s and the p50, p99 and max latency.
          With --pipeline W each client keeps up to W requests in flight (answers come back in order), which
          measures how many requests/s the worker can answer rather than one client's round trips; latency is
          then from sending a request to its answer, queueing included. Each client reads what answers have
          come and sends as many new requests in one write.

    Prints one JSON line on stdout.

    """;

if (args.Length == 0 || args[0] is "--help" or "-h")
{
    Console.Out.Write(Help);
    return args.Length == 0 ? 2 : 0;
}

var mode = args[0];
int port = 0, clients = 4, events = 1_000_000, requests = 100_000, k = 10, items = 10_000, users = 50_000, pipeline = 1;
string? file = null;
for (var a = 1; a < args.Length; a++)
{
    int Next() => int.Parse(args[++a], CultureInfo.InvariantCulture);
    switch (args[a])
    {
        case "--port": port = Next(); break;
        case "--clients": clients = Next(); break;
        case "--events": events = Next(); break;
        case "--requests": requests = Next(); break;
        case "--k": k = Next(); break;
        case "--items": items = Next(); break;
        case "--users": users = Next(); break;
        case "--file": file = args[++a]; break;
        case "--pipeline": pipeline = Next(); break;
        default:
            Console.Error.Write($"unknown argument '{args[a]}'\n\n{Help}");
            return 2;
    }
}

if (port == 0)
{
    Console.Error.Write($"--port is required\n\n{Help}");
    return 2;
}

return mode switch
{
    "ingest" => await IngestAsync(),
    "recommend" => await RecommendAsync(),
    _ => Fail($"unknown mode '{mode}'"),
};

int Fail(string message)
{
    Console.Error.Write($"{message}\n\n{Help}");
    return 2;
}

async Task<int> IngestAsync()
{
    // Each client's lines are generated up front so the measurement is of the worker, not of the generator.
    var perClient = events / clients;
    var payloads = file is not null ? SplitFile(file) : Enumerable.Range(0, clients).Select(c =>
    {
        var text = new StringBuilder();
        foreach (var line in new SyntheticEventGenerator(new SyntheticEventOptions
        { Events = perClient, Users = users, Items = items, Seed = 1000 + c }).Lines())
        {
            text.Append(line).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }).ToArray();

    var sockets = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => ConnectAsync(port)));
    var clock = Stopwatch.StartNew();
    var accepted = await Task.WhenAll(sockets.Select(async (socket, c) =>
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        await stream.WriteAsync(payloads[c]);
        await stream.WriteAsync("{\"op\":\"flush\"}\n"u8.ToArray());
        using var reader = new StreamReader(stream);
        var answer = await reader.ReadLineAsync() ?? throw new IOException("the worker closed the connection");
        var marker = answer.IndexOf("\"accepted\":", StringComparison.Ordinal) + "\"accepted\":".Length;
        return long.Parse(answer.AsSpan(marker, answer.IndexOf(',', marker) - marker), CultureInfo.InvariantCulture);
    }));
    var seconds = clock.Elapsed.TotalSeconds;
    var total = accepted.Sum();
    var sent = file is null ? perClient * clients : payloads.Sum(p => (long)p.AsSpan().Count((byte)'\n'));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{{\"mode\":\"ingest\",\"clients\":{clients},\"events_sent\":{sent},\"accepted\":{total},\"seconds\":{seconds:F3},\"events_per_sec\":{total / seconds:F0}}}"));
    return 0;
}

byte[][] SplitFile(string path)
{
    var parts = Enumerable.Range(0, clients).Select(_ => new StringBuilder()).ToArray();
    var n = 0;
    foreach (var line in File.ReadLines(path))
    {
        parts[n++ % clients].Append(line).Append('\n');
    }

    return [.. parts.Select(p => Encoding.UTF8.GetBytes(p.ToString()))];
}

async Task<int> RecommendAsync()
{
    var perClient = requests / clients;
    var latencies = new double[perClient * clients];
    var sockets = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => ConnectAsync(port)));
    var clock = Stopwatch.StartNew();
    Exception? failed = null;
    await Task.WhenAll(sockets.Select(async (socket, c) =>
    {
        try
        {
            await ClientAsync(socket, c);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            Interlocked.CompareExchange(ref failed, ex, null);
        }
    }));
    if (failed is not null)
    {
        Console.Error.WriteLine($"recommend failed: {failed.Message}");
        return 1;
    }

    async Task ClientAsync(Socket socket, int c)
    {
        using var owned = socket;
        var rng = new Random(c);
        var sentAt = new long[perClient];
        var requestBytes = new ArrayBufferWriter<byte>(4096);
        var prefix = "{\"op\":\"recommend\",\"user\":\"u"u8.ToArray();
        var suffix = Encoding.UTF8.GetBytes($"\",\"k\":{k}}}\n");
        var sent = 0;

        // As a pipelining client does: one loop per connection reads the answers that have arrived, and sends as many
        // new requests as answers came back, together in one write (the window stays full; one system call each way
        // per round, however many answers a read brought).
        async ValueTask SendAsync(int count)
        {
            for (var r = 0; r < count; r++)
            {
                requestBytes.Write(prefix);
                var digits = requestBytes.GetSpan(11);
                rng.Next(1, users + 1).TryFormat(digits, out var written, provider: CultureInfo.InvariantCulture);
                requestBytes.Advance(written);
                requestBytes.Write(suffix);
            }

            sentAt.AsSpan(sent, count).Fill(Stopwatch.GetTimestamp());
            sent += count;
            for (var offset = 0; offset < requestBytes.WrittenCount;)
            {
                offset += await socket.SendAsync(requestBytes.WrittenMemory[offset..], SocketFlags.None);
            }

            requestBytes.ResetWrittenCount();
        }

        await SendAsync(Math.Min(pipeline, perClient));
        var buffer = new byte[64 * 1024];
        var filled = 0;
        var answered = 0;
        while (answered < perClient)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None);
            if (read == 0)
            {
                throw new IOException("the worker closed the connection");
            }

            filled += read;
            var start = 0;
            var arrived = 0;
            int newline;
            while ((newline = buffer.AsSpan(start, filled - start).IndexOf((byte)'\n')) >= 0)
            {
                var answer = buffer.AsSpan(start, newline);
                if (answer.StartsWith("{\"error\""u8))
                {
                    throw new IOException($"the worker answered an error: {Encoding.UTF8.GetString(answer)}");
                }

                latencies[(c * perClient) + answered] = Stopwatch.GetElapsedTime(sentAt[answered]).TotalMilliseconds;
                answered++;
                arrived++;
                start += newline + 1;
            }

            buffer.AsSpan(start, filled - start).CopyTo(buffer);
            filled -= start;
            var more = Math.Min(arrived, perClient - sent);
            if (more > 0)
            {
                await SendAsync(more);
            }
        }
    }

    var seconds = clock.Elapsed.TotalSeconds;
    Array.Sort(latencies);
    double Percentile(double p) => latencies[Math.Min(latencies.Length - 1, (int)(p * latencies.Length))];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{{\"mode\":\"recommend\",\"clients\":{clients},\"pipeline\":{pipeline},\"k\":{k},\"requests\":{latencies.Length},\"seconds\":{seconds:F3},\"requests_per_sec\":{latencies.Length / seconds:F0},\"p50_ms\":{Percentile(0.50):F3},\"p99_ms\":{Percentile(0.99):F3},\"max_ms\":{latencies[^1]:F3}}}"));
    return 0;
}

static async Task<Socket> ConnectAsync(int port)
{
    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    await socket.ConnectAsync("127.0.0.1", port);
    return socket;
}
