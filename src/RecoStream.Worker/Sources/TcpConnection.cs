using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RecoStream.Core.Events;
using RecoStream.Worker.Configuration;
using RecoStream.Worker.Metrics;

namespace RecoStream.Worker.Sources;

/// <summary>
/// One client of the TCP line protocol. Lines are framed from a <see cref="PipeReader"/> (a longer line than
/// allowed is skipped up to its newline and rejected, and framing goes on), queued for the pipeline, and the
/// answers to request lines are written back in order. At most <see cref="TcpOptions.MaxInFlightPerConnection"/>
/// lines are queued or awaiting their answer; beyond that the connection is not read, so the socket's flow
/// control slows the client and a client that never reads its answers cannot grow the worker's memory.
/// </summary>
internal sealed partial class TcpConnection : LineOrigin, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly IngestQueue _queue;
    private readonly EventParser _parser;
    private readonly StreamItemPool.Renter _recycled;
    private const int MaxAnswerBytesPerWrite = 64 * 1024;
    private byte[] _joined = new byte[4096];
    private readonly TcpOptions _options;
    private readonly int _maxLineBytes;
    private readonly byte[] _token;
    private readonly ILogger _logger;
    private readonly int _maxInFlight;
    private readonly Channel<byte[]> _answers = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private long _lineNumber;
    private long _arrivedAt;
    private int _pending;

    // Slots: lines queued or awaiting their answer, at most _maxInFlight. The reading side counts the lines of the batch
    // it is filling in _reserved and adds them to _slotsUsed when it queues the batch (one atomic add per batch, not a
    // semaphore per line); the pipeline (a line done without an answer) and the answer writer (answers sent) free them.
    private int _slotsUsed;
    private int _reserved;
    private TaskCompletionSource? _slotWaiter;
    private bool _answered;
    private volatile bool _readingDone;

    public TcpConnection(Socket socket, IngestQueue queue, EventParser parser, TcpOptions options, int maxLineBytes, string token,
        WorkerMetrics metrics, ILogger logger)
        : base(TcpSource.SourceName, metrics.Received(TcpSource.SourceName))
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _queue = queue;
        _parser = parser;
        _recycled = queue.Recycled.NewRenter();
        _options = options;
        _maxLineBytes = maxLineBytes;
        _token = Encoding.UTF8.GetBytes(token);
        _logger = logger;
        _maxInFlight = options.MaxInFlightPerConnection;
    }

    public string Remote => _socket.RemoteEndPoint?.ToString() ?? "?";

    /// <summary>Reads and answers until the client disconnects, goes idle, or the worker stops.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var writer = WriteAnswersAsync();
        try
        {
            await ReadLinesAsync(stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, idled out, or the worker is stopping: what was queued is still applied.
        }
        finally
        {
            _readingDone = true;
            CompleteAnswersIfDone();
        }

        await writer.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override void Reply(ReadOnlySpan<byte> json, bool isError)
    {
        var line = new byte[json.Length + 1];
        json.CopyTo(line);
        line[^1] = (byte)'\n';
        // Unbounded, but never more than MaxInFlightPerConnection answers: each keeps its line's in-flight
        // slot until the writer has sent it.
        _answered = _answers.Writer.TryWrite(line);
    }

    /// <inheritdoc />
    public override void LineDone()
    {
        Interlocked.Decrement(ref _pending);
        if (_answered)
        {
            _answered = false;
        }
        else
        {
            ReleaseSlots(1);
        }

        CompleteAnswersIfDone();
    }

    public async ValueTask DisposeAsync() => await _stream.DisposeAsync().ConfigureAwait(false);

    private async Task ReadLinesAsync(CancellationToken stopping)
    {
        var reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true));
        var authenticated = _token.Length == 0;
        var skipping = false;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        try
        {
            while (true)
            {
                if (_options.IdleTimeoutSeconds > 0)
                {
                    idle.CancelAfter(TimeSpan.FromSeconds(_options.IdleTimeoutSeconds));
                }

                ReadResult result;
                try
                {
                    result = await reader.ReadAsync(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                {
                    LogIdle(_logger, Remote, _options.IdleTimeoutSeconds);
                    return;
                }

                var buffer = result.Buffer;
                _arrivedAt = Stopwatch.GetTimestamp();
                var batch = new List<StreamItem>();
                while (true)
                {
                    var newline = buffer.PositionOf((byte)'\n');
                    if (newline is null)
                    {
                        if (buffer.Length > _maxLineBytes)
                        {
                            // Too long already: forget what was read and skip to the next newline.
                            skipping = true;
                            buffer = buffer.Slice(buffer.End);
                        }

                        break;
                    }

                    var line = buffer.Slice(0, newline.Value);
                    buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
                    var tooLong = skipping || line.Length > _maxLineBytes;
                    skipping = false;
                    if (!authenticated)
                    {
                        authenticated = await AuthenticateAsync(line, tooLong).ConfigureAwait(false);
                        if (!authenticated)
                        {
                            return;
                        }

                        continue;
                    }

                    await AddAsync(batch, line, tooLong, stopping).ConfigureAwait(false);
                }

                if (result.IsCompleted && (!buffer.IsEmpty || skipping) && authenticated)
                {
                    // A last line without its newline is still a line (it is rejected if it is cut short).
                    await AddAsync(batch, buffer, skipping || buffer.Length > _maxLineBytes, stopping).ConfigureAwait(false);
                    buffer = buffer.Slice(buffer.End);
                }

                await FlushBatchAsync(batch, stopping).ConfigureAwait(false);
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Parses a line into the batch, taking a slot; queues the batch when it is full. Waits while no slot is free.</summary>
    private ValueTask AddAsync(List<StreamItem> batch, ReadOnlySequence<byte> bytes, bool tooLong, CancellationToken stopping)
    {
        if (!HasFreeSlot())
        {
            return AddWhenFreeAsync(batch, bytes, tooLong, stopping);
        }

        Add(batch, bytes, tooLong);
        return batch.Count == IngestQueue.MaxBatchLines ? FlushBatchAsync(batch, stopping) : default;
    }

    /// <summary>
    /// <see cref="AddAsync"/> when no slot is free. The line's bytes stay valid while it waits: the read buffer is only
    /// advanced past them after the caller's await.
    /// </summary>
    private async ValueTask AddWhenFreeAsync(List<StreamItem> batch, ReadOnlySequence<byte> bytes, bool tooLong, CancellationToken stopping)
    {
        // The lines held here keep slots too: queue them before waiting, or the wait could never end.
        await FlushBatchAsync(batch, stopping).ConfigureAwait(false);
        await WaitForSlotAsync(stopping).ConfigureAwait(false);
        Add(batch, bytes, tooLong);
        if (batch.Count == IngestQueue.MaxBatchLines)
        {
            await FlushBatchAsync(batch, stopping).ConfigureAwait(false);
        }
    }

    private void Add(List<StreamItem> batch, ReadOnlySequence<byte> bytes, bool tooLong)
    {
        batch.Add(Parse(bytes, tooLong));
        _reserved++;
    }

    private bool HasFreeSlot() => Volatile.Read(ref _slotsUsed) + _reserved < _maxInFlight;

    /// <summary>Waits until a slot is free (the reading side only).</summary>
    private async ValueTask WaitForSlotAsync(CancellationToken stopping)
    {
        while (true)
        {
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // A full fence between publishing the waiter and looking at the count: a release either sees the waiter or
            // happened before the look, which then sees the slot it freed.
            Interlocked.Exchange(ref _slotWaiter, waiter);
            if (HasFreeSlot())
            {
                Interlocked.CompareExchange(ref _slotWaiter, null, waiter);
                return;
            }

            await waiter.Task.WaitAsync(stopping).ConfigureAwait(false);
        }
    }

    /// <summary>Frees slots and wakes the reading side if it waits for one.</summary>
    private void ReleaseSlots(int count)
    {
        Interlocked.Add(ref _slotsUsed, -count);
        if (Volatile.Read(ref _slotWaiter) is not null)
        {
            Interlocked.Exchange(ref _slotWaiter, null)?.TrySetResult();
        }
    }

    /// <summary>Parses a line where it lies in the read buffer; one that spans two buffer segments is copied first.</summary>
    private StreamItem Parse(ReadOnlySequence<byte> bytes, bool tooLong)
    {
        var number = ++_lineNumber;
        if (tooLong)
        {
            return _parser.Parse(number, [], tooLong: true, this, _arrivedAt, _recycled);
        }

        if (bytes.IsSingleSegment)
        {
            return _parser.Parse(number, bytes.FirstSpan, tooLong: false, this, _arrivedAt, _recycled);
        }

        var length = (int)bytes.Length;
        if (_joined.Length < length)
        {
            _joined = new byte[Math.Max(length, _joined.Length * 2)];
        }

        bytes.CopyTo(_joined);
        return _parser.Parse(number, _joined.AsSpan(0, length), tooLong: false, this, _arrivedAt, _recycled);
    }

    private async ValueTask FlushBatchAsync(List<StreamItem> batch, CancellationToken stopping)
    {
        if (batch.Count == 0)
        {
            return;
        }

        // The batch's lines count as pending and hold their slots before the pipeline can see them.
        Interlocked.Add(ref _pending, batch.Count);
        Interlocked.Add(ref _slotsUsed, _reserved);
        _reserved = 0;
        var lines = _recycled.ToBatch(batch);
        // Lines not queued (dropped in DropNewest mode, or the queue closed) never reach the pipeline's LineDone.
        await _queue.EnqueueAsync(lines, _ => LineDone(), stopping).ConfigureAwait(false);
    }

    private async ValueTask<bool> AuthenticateAsync(ReadOnlySequence<byte> bytes, bool tooLong)
    {
        var item = tooLong ? null : _parser.Parse(new InputLine(++_lineNumber, bytes.ToArray()));
        if (item is { Kind: StreamItemKind.Request, Request.Op: RequestOp.Auth }
            && CryptographicOperations.FixedTimeEquals(_token, Encoding.UTF8.GetBytes(item.Request.Token)))
        {
            await _stream.WriteAsync("{\"ok\":true}\n"u8.ToArray()).ConfigureAwait(false);
            return true;
        }

        LogUnauthenticated(_logger, Remote);
        await _stream.WriteAsync(
            "{\"error\":\"authentication required: send {\\\"op\\\":\\\"auth\\\",\\\"token\\\":\\\"...\\\"} as the first line\"}\n"u8.ToArray())
            .ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// Sends the answers in order. The answers already waiting are sent together in one write (a client that pipelines
    /// its requests gets them back in a few system calls instead of one each).
    /// </summary>
    private async Task WriteAnswersAsync()
    {
        var clientGone = false;
        var reader = _answers.Reader;
        var pending = new ArrayBufferWriter<byte>(16 * 1024);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var count = 0;
            while (pending.WrittenCount < MaxAnswerBytesPerWrite && reader.TryRead(out var answer))
            {
                pending.Write(answer);
                count++;
            }

            if (count == 0)
            {
                continue;
            }

            if (!clientGone)
            {
                try
                {
                    await _stream.WriteAsync(pending.WrittenMemory).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
                {
                    // The client is gone: the answers left have no one to go to, but their slots are still freed.
                    clientGone = true;
                }
            }

            pending.ResetWrittenCount();
            ReleaseSlots(count);
        }
    }

    private void CompleteAnswersIfDone()
    {
        if (_readingDone && Volatile.Read(ref _pending) == 0)
        {
            _answers.Writer.TryComplete();
        }
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "TCP client {Remote} idle for {Seconds} s; closing")]
    private static partial void LogIdle(ILogger logger, string remote, int seconds);

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "TCP client {Remote} did not authenticate; closing")]
    private static partial void LogUnauthenticated(ILogger logger, string remote);
}
