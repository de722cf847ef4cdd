namespace RecoStream.Core.Events;

/// <summary>
/// One line of input as framed by a source: its 1-based number within the source's run and its bytes
/// without the line terminator. An over-long line carries no bytes and <see cref="TooLong"/> set.
/// </summary>
public readonly record struct InputLine(long Number, ReadOnlyMemory<byte> Bytes, bool TooLong = false);
