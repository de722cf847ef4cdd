namespace RecoStream.Core.Learners;

/// <summary>A learner whose features are hashed into a table of 2^<see cref="HashBits"/> weights (collisions possible).</summary>
public interface IHashedLearner
{
    /// <summary>The weight table's size in bits.</summary>
    int HashBits { get; }
}
