namespace RecoStream.Core.Tests;

/// <summary>
/// A checkpoint's writer, as the growth tests need one: another thread that holds a snapshot's lock for a while. The
/// constructor returns once the lock is held; <see cref="Released"/> turns true just before it is let go.
/// </summary>
internal sealed class LockHolder : IDisposable
{
    private readonly ManualResetEventSlim _holding = new();
    private readonly Thread _thread;
    private bool _released;

    public LockHolder(Lock gate, int milliseconds)
    {
        _thread = new Thread(() =>
        {
            lock (gate)
            {
                _holding.Set();
                Thread.Sleep(milliseconds);
                Volatile.Write(ref _released, true);
            }
        });
        _thread.Start();
        _holding.Wait();
    }

    /// <summary>True once the holder is about to let go of the lock.</summary>
    public bool Released => Volatile.Read(ref _released);

    /// <summary>Waits for the holder to let go.</summary>
    public void Dispose()
    {
        _thread.Join();
        _holding.Dispose();
    }
}
