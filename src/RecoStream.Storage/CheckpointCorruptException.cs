namespace RecoStream.Storage;

/// <summary>The store holds a checkpoint that cannot be read back consistently; the worker must not run on it.</summary>
public sealed class CheckpointCorruptException : Exception
{
    public CheckpointCorruptException(string message)
        : base(message)
    {
    }

    public CheckpointCorruptException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
