namespace RecoStream.Core.Events;

/// <summary>
/// One line of input as framed by a source: its 1-based number within its origin, its bytes without the line
/// terminator, and where it came from (so that answers go back there). An over-long line carries no bytes and
/// <see cref="TooLong"/> set. <see cref="ArrivedAt"/> is the <see cref="TimeProvider.GetTimestamp"/> of its arrival
/// (0 when unknown), for the arrival-to-update latency.
/// </summary>
public readonly record struct InputLine(long Number, ReadOnlyMemory<byte> Bytes, bool TooLong = false, ILineOrigin? Origin = null, long ArrivedAt = 0);
