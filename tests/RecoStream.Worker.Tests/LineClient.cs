using System.Net.Sockets;
using System.Text;

namespace RecoStream.Worker.Tests;

/// <summary>A TCP client of the worker's line protocol, as a producer or a querying service would be.</summary>
internal sealed class LineClient : IDisposable
{
    private readonly TcpClient _client;
    private readonly StreamReader _reader;
    private readonly StreamWriter _writer;

    private LineClient(TcpClient client)
    {
        _client = client;
        var stream = client.GetStream();
        stream.ReadTimeout = 60_000;
        _reader = new StreamReader(stream, Encoding.UTF8);
        _writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
    }

    public NetworkStream Stream => _client.GetStream();

    /// <summary>Connects to the worker, retrying while its listener is not up yet.</summary>
    public static async Task<LineClient> ConnectAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", port);
                return new LineClient(client);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                client.Dispose();
                await Task.Delay(100);
            }
        }
    }

    public async Task SendAsync(string line) => await _writer.WriteLineAsync(line);

    public async Task SendAsync(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            await _writer.WriteLineAsync(line);
        }
    }

    public async Task SendRawAsync(byte[] bytes)
    {
        await _writer.FlushAsync();
        await Stream.WriteAsync(bytes);
    }

    public async Task FlushAsync() => await _writer.FlushAsync();

    /// <summary>Sends a request and returns its answer line.</summary>
    public async Task<string> AskAsync(string request)
    {
        await _writer.WriteLineAsync(request);
        await _writer.FlushAsync();
        return await ReadLineAsync();
    }

    public async Task<string> ReadLineAsync()
    {
        var line = await _reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.NotNull(line);
        return line;
    }

    /// <summary>Null when the worker closed the connection.</summary>
    public async Task<string?> TryReadLineAsync() => await _reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));

    public void Dispose()
    {
        _writer.Dispose();
        _reader.Dispose();
        _client.Dispose();
    }
}
