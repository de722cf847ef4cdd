using System.Runtime.InteropServices;

namespace RecoStream.Core.Learners;

/// <summary>
/// A growable array of unmanaged values outside the managed heap, for a table's per-row values (the factor tables hold
/// hundreds of megabytes of them). Growing allocates the new block zeroed, copies the old values and frees the old block
/// at once: an array on the large object heap grown the same way left the old one, and after a collection the hole it
/// left, for the collector to hand back when it would (on the 1,000,000-user replay the heap held about twice the
/// parameters at its peak). A large zeroed block is fresh pages from the system, resident only once written.
/// Not thread-safe: a span from it is valid until the next <see cref="Resize"/>, so an owner read from another thread
/// resizes only under the lock that thread reads with. Freed by the finalizer, once the array and its owner are
/// unreachable: its owner (a table) lives as long as its model, and hands out spans only for the call at hand.
/// </summary>
internal sealed unsafe class NativeArray<T>
    where T : unmanaged
{
    private T* _data;
    private int _length;

    /// <summary>An array of <paramref name="length"/> zeros.</summary>
    public NativeArray(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _data = Allocate(length);
        _length = length;
    }

    ~NativeArray()
    {
        NativeMemory.Free(_data);
        _data = null;
        _length = 0;
    }

    /// <summary>How many values the array holds.</summary>
    public int Length => _length;

    /// <summary>The value at <paramref name="index"/>, bounds-checked.</summary>
    public ref T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_length)
            {
                ThrowOutOfRange(index);
            }

            return ref _data[index];
        }
    }

    /// <summary>Every value.</summary>
    public Span<T> AsSpan() => new(_data, _length);

    /// <summary><paramref name="length"/> values from <paramref name="start"/>, bounds-checked.</summary>
    public Span<T> AsSpan(int start, int length) => AsSpan().Slice(start, length);

    /// <summary>
    /// Makes the array <paramref name="length"/> long: the values it keeps are copied into a new block, the ones added are
    /// zero, and the old block is freed (every span from it is then invalid).
    /// </summary>
    public void Resize(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var data = Allocate(length);
        new ReadOnlySpan<T>(_data, Math.Min(_length, length)).CopyTo(new Span<T>(data, length));
#if DEBUG
        // In the tests' builds the old block is spoilt first (all bits set: NaN for floats), so that a reader that reads
        // it after the move (one not holding the lock its owner resizes under) reads nonsense instead of the old values
        // the freed memory would otherwise still hold.
        new Span<byte>(_data, _length * sizeof(T)).Fill(0xFF);
#endif
        NativeMemory.Free(_data);
        _data = data;
        _length = length;
    }

    /// <summary>Frees the block now, leaving an empty array (every span from it is then invalid).</summary>
    public void Free()
    {
        NativeMemory.Free(_data);
        _data = null;
        _length = 0;
    }

    private static T* Allocate(int length) =>
        // calloc: a large block comes zeroed from fresh pages, which take memory only once written. One byte at least, so
        // that an empty array still has a block of its own.
        (T*)NativeMemory.AllocZeroed((nuint)Math.Max(length, 1), (nuint)sizeof(T));

    private void ThrowOutOfRange(int index) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, $"outside the array's {_length} values");
}
