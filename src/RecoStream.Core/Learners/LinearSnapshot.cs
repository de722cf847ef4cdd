namespace RecoStream.Core.Learners;

/// <summary>The linear learner's checkpointed state: its weight table.</summary>
public sealed record LinearSnapshot(int HashBits, float[] Weights);
