namespace RecoStream.Core.Events;

/// <summary>A query line (<c>{"op":...}</c>) that shares the input stream with events and is answered in order.</summary>
/// <param name="Op">The operation.</param>
/// <param name="User">The user the request is about (recommend, predict); empty otherwise.</param>
/// <param name="Item">The item (predict); empty otherwise.</param>
/// <param name="K">How many items to return (recommend).</param>
/// <param name="Token">The shared secret (auth).</param>
/// <param name="Name">The snapshot's folder name (snapshot).</param>
public sealed record StreamRequest(RequestOp Op, string User = "", string Item = "", int K = 0, string Token = "", string Name = "");
