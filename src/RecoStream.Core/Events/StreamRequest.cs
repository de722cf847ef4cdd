namespace RecoStream.Core.Events;

/// <summary>A query line (<c>{"op":...}</c>) that shares the input stream with events and is answered in order.</summary>
/// <param name="Op">The operation.</param>
/// <param name="User">The user the request is about.</param>
/// <param name="K">How many items to return (recommend).</param>
public sealed record StreamRequest(RequestOp Op, string User, int K);
