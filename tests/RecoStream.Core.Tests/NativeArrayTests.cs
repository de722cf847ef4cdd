using RecoStream.Core.Learners;

namespace RecoStream.Core.Tests;

public sealed class NativeArrayTests
{
    [Fact]
    public void ANewArray_HoldsZeros()
    {
        var array = new NativeArray<long>(100_000);
        Assert.Equal(100_000, array.Length);
        Assert.True(array.AsSpan().IndexOfAnyExcept(0L) < 0);
    }

    [Fact]
    public void Resize_KeepsTheValues_AndTheAddedOnesAreZero()
    {
        // Every value is written before each growth, so the blocks freed are dirty: an added value left unzeroed (a block
        // reused from one freed before) would show.
        var array = new NativeArray<float>(3);
        for (var round = 0; round < 14; round++)
        {
            var length = array.Length;
            for (var i = 0; i < length; i++)
            {
                array[i] = i + 0.5f;
            }

            array.Resize((length * 2) - (round % 3));
            Assert.Equal(Enumerable.Range(0, length).Select(i => i + 0.5f), array.AsSpan(0, length).ToArray());
            Assert.True(array.AsSpan(length, array.Length - length).IndexOfAnyExcept(0f) < 0);
        }
    }

    [Fact]
    public void Resize_Smaller_KeepsThePrefix()
    {
        var array = new NativeArray<int>(10);
        for (var i = 0; i < 10; i++)
        {
            array[i] = i * i;
        }

        array.Resize(4);
        Assert.Equal([0, 1, 4, 9], array.AsSpan().ToArray());
        array.Resize(6);
        Assert.Equal([0, 1, 4, 9, 0, 0], array.AsSpan().ToArray());
    }

    [Fact]
    public void IndexesAndSpansOutsideTheArray_Throw()
    {
        var array = new NativeArray<byte>(8);
        Assert.Throws<ArgumentOutOfRangeException>(() => array[8]);
        Assert.Throws<ArgumentOutOfRangeException>(() => array[-1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => array.AsSpan(4, 5).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => new NativeArray<byte>(-1));
        Assert.Equal(0, new NativeArray<byte>(0).AsSpan().Length);
    }

    [Fact]
    public void Free_LeavesAnEmptyArray_ThatCanGrowAgain()
    {
        var array = new NativeArray<int>(1000);
        array[999] = 7;
        array.Free();
        Assert.Equal(0, array.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => array[0]);
        array.Free(); // twice is harmless
        array.Resize(3);
        Assert.Equal([0, 0, 0], array.AsSpan().ToArray());
    }
}
