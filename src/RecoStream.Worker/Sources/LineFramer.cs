using System.Diagnostics;
using RecoStream.Core.Events;

namespace RecoStream.Worker.Sources;

/// <summary>
/// Splits a byte stream into '\n'-terminated lines, numbering them from 1, and parses each where it lies in the read
/// buffer (a line is copied only when it spans two reads). A line longer than the limit is not buffered: the rest of it
/// is skipped up to its newline and it is parsed as too long (a rejection), so the lines after it keep their framing.
/// A last line without a newline is emitted at end of stream.
/// </summary>
internal sealed class LineFramer
{
    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private readonly ILineOrigin _origin;
    private readonly LineParser _parser;
    private readonly StreamItemPool.Renter _recycled;
    private readonly byte[] _chunk = new byte[64 * 1024];
    private byte[] _line = new byte[4096];
    private int _lineLength;
    private bool _tooLong;
    private long _lineNumber;
    private long _arrivedAt;
    private long _skip;

    /// <param name="stream">The bytes to frame.</param>
    /// <param name="parser">Parses each line.</param>
    /// <param name="maxLineBytes">The longest line kept whole.</param>
    /// <param name="origin">Where the lines come from.</param>
    /// <param name="recycled">Where events are parsed into items the pipeline handed back.</param>
    /// <param name="skipLines">Lines to pass over without emitting them (a resumed replay); numbering still counts them.</param>
    public LineFramer(Stream stream, LineParser parser, int maxLineBytes, ILineOrigin origin, StreamItemPool.Renter recycled,
        long skipLines = 0)
    {
        _recycled = recycled;
        _stream = stream;
        _parser = parser;
        _maxLineBytes = maxLineBytes;
        _origin = origin;
        _skip = skipLines;
    }

    /// <summary>Lines still to be skipped (non-zero at the end when the stream had fewer lines than asked to skip).</summary>
    public long LinesLeftToSkip => _skip;

    /// <summary>Bytes read from the stream so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>
    /// Reads to the end of the stream, handing the parsed lines to <paramref name="emit"/> in batches (the lines of one
    /// read, at most <see cref="IngestQueue.MaxBatchLines"/>); stops early when it returns false. Returns true at
    /// end of stream, false when stopped.
    /// </summary>
    public bool Run(Func<StreamItem[], bool> emit)
    {
        var batch = new List<StreamItem>(IngestQueue.MaxBatchLines);
        int read;
        while ((read = _stream.Read(_chunk, 0, _chunk.Length)) > 0)
        {
            BytesRead += read;
            _arrivedAt = Stopwatch.GetTimestamp();
            var span = _chunk.AsSpan(0, read);
            while (!span.IsEmpty && _skip > 0)
            {
                var end = span.IndexOf((byte)'\n');
                if (end < 0)
                {
                    span = [];
                    break;
                }

                _skip--;
                _lineNumber++;
                span = span[(end + 1)..];
            }

            while (!span.IsEmpty)
            {
                var newline = span.IndexOf((byte)'\n');
                var segment = newline < 0 ? span : span[..newline];
                if (newline >= 0 && _lineLength == 0 && !_tooLong && segment.Length <= _maxLineBytes)
                {
                    // The whole line is in this read: parsed where it lies.
                    batch.Add(_parser.Parse(++_lineNumber, segment, tooLong: false, _origin, _arrivedAt, _recycled));
                }
                else
                {
                    Append(segment);
                    if (newline < 0)
                    {
                        break;
                    }

                    batch.Add(TakeLine());
                }

                if (batch.Count == IngestQueue.MaxBatchLines && !Emit(batch, emit))
                {
                    return false;
                }

                span = span[(newline + 1)..];
            }

            if (batch.Count > 0 && !Emit(batch, emit))
            {
                return false;
            }
        }

        if ((_lineLength > 0 || _tooLong) && _skip == 0)
        {
            batch.Add(TakeLine());
        }

        return batch.Count == 0 || Emit(batch, emit);
    }

    private bool Emit(List<StreamItem> batch, Func<StreamItem[], bool> emit) => emit(_recycled.ToBatch(batch));

    private void Append(ReadOnlySpan<byte> segment)
    {
        if (_tooLong)
        {
            return;
        }

        if (_lineLength + segment.Length > _maxLineBytes)
        {
            _tooLong = true;
            _lineLength = 0;
            return;
        }

        if (_lineLength + segment.Length > _line.Length)
        {
            Array.Resize(ref _line, Math.Max(_line.Length * 2, _lineLength + segment.Length));
        }

        segment.CopyTo(_line.AsSpan(_lineLength));
        _lineLength += segment.Length;
    }

    private StreamItem TakeLine()
    {
        _lineNumber++;
        var line = _parser.Parse(_lineNumber, _tooLong ? [] : _line.AsSpan(0, _lineLength), _tooLong, _origin, _arrivedAt, _recycled);
        _lineLength = 0;
        _tooLong = false;
        return line;
    }
}
