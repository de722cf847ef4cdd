using System.Numerics;
using System.Runtime.Intrinsics.X86;

namespace RecoStream.Core.Learners;

/// <summary>
/// The slots a snapshot of changes holds, in increasing order: a bit per slot of the table, and before each word of 64
/// the number of slots in the words before it, so the slot at an index is a binary search and a search in one word
/// away. A table of a million slots takes 192 KB however many of them changed, where an array of the changed slots took
/// 4 MB for a million (one for the factor rows and one for the recent items, both held while the checkpoint is written).
/// Filled with <see cref="Add"/>, then <see cref="Seal"/>ed.
/// </summary>
internal sealed class SlotSet
{
    private readonly ulong[] _bits;
    private readonly int[] _before;
    // Where the last index read was: its index, its word, and the word's slots after it.
    private int _cursorIndex = -1;
    private int _cursorWord = -1;
    private ulong _cursorRest;

    /// <summary>An empty set of slots below <paramref name="slotCount"/>.</summary>
    public SlotSet(int slotCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slotCount);
        _bits = new ulong[(slotCount + 63) >> 6];
        _before = new int[_bits.Length];
    }

    /// <summary>How many slots the set holds (once sealed).</summary>
    public int Length { get; private set; }

    /// <summary>
    /// The slot at <paramref name="index"/> in increasing order. Reading the indexes in order costs a step each (a
    /// writer reads a snapshot's rows so); any other index, a binary search. Not safe for two threads at once (a
    /// snapshot's readers hold its lock).
    /// </summary>
    public int this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Length)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"outside the set's {Length} slots");
            }

            if (index == _cursorIndex + 1)
            {
                while (_cursorRest == 0)
                {
                    _cursorRest = _bits[++_cursorWord];
                }

                _cursorIndex = index;
                var next = (_cursorWord << 6) + BitOperations.TrailingZeroCount(_cursorRest);
                _cursorRest &= _cursorRest - 1;
                return next;
            }

            // The last word with fewer slots before it than the index is the one that holds it.
            var (low, high) = (0, _before.Length - 1);
            while (low < high)
            {
                var middle = (low + high + 1) >> 1;
                if (_before[middle] <= index)
                {
                    low = middle;
                }
                else
                {
                    high = middle - 1;
                }
            }

            var position = Select(_bits[low], index - _before[low]);
            (_cursorIndex, _cursorWord) = (index, low);
            _cursorRest = _bits[low] & ~((2UL << position) - 1); // the word's slots after this one
            return (low << 6) + position;
        }
    }

    /// <summary>The index of <paramref name="slot"/> in increasing order (once sealed); -1 when the set does not hold it.</summary>
    public int IndexOf(int slot)
    {
        var word = slot >> 6;
        if (slot < 0 || word >= _bits.Length)
        {
            return -1;
        }

        var bit = 1UL << (slot & 63);
        return (_bits[word] & bit) == 0 ? -1 : _before[word] + BitOperations.PopCount(_bits[word] & (bit - 1));
    }

    /// <summary>The position of the <paramref name="rank"/>-th set bit (from 0) of <paramref name="word"/>.</summary>
    internal static int Select(ulong word, int rank) =>
        // The rank-th set bit alone: a single bit deposited at that rank into the word's set bits.
        Bmi2.X64.IsSupported ? BitOperations.TrailingZeroCount(Bmi2.X64.ParallelBitDeposit(1UL << rank, word)) : SelectByClearing(word, rank);

    /// <summary><see cref="Select"/> without BMI2: the lower set bits cleared one by one.</summary>
    internal static int SelectByClearing(ulong word, int rank)
    {
        for (; rank > 0; rank--)
        {
            word &= word - 1;
        }

        return BitOperations.TrailingZeroCount(word);
    }

    /// <summary>Adds <paramref name="slot"/> (before <see cref="Seal"/>).</summary>
    public void Add(int slot) => _bits[slot >> 6] |= 1UL << (slot & 63);

    /// <summary>Counts the slots: the set is read-only from here on.</summary>
    public void Seal()
    {
        var count = 0;
        for (var w = 0; w < _bits.Length; w++)
        {
            _before[w] = count;
            count += BitOperations.PopCount(_bits[w]);
        }

        Length = count;
    }

    /// <summary>The slots in increasing order.</summary>
    public Enumerator GetEnumerator() => new(_bits);

    /// <summary>The slots in increasing order, without allocating.</summary>
    public struct Enumerator(ulong[] bits)
    {
        private int _word = -1;
        private ulong _rest;

        public int Current { get; private set; }

        public bool MoveNext()
        {
            while (_rest == 0)
            {
                if (++_word >= bits.Length)
                {
                    return false;
                }

                _rest = bits[_word];
            }

            Current = (_word << 6) + BitOperations.TrailingZeroCount(_rest);
            _rest &= _rest - 1;
            return true;
        }
    }
}
