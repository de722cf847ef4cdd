namespace RecoStream.Core.Events;

/// <summary>The operations a request line can ask for.</summary>
public enum RequestOp
{
    /// <summary><c>{"op":"recommend","user":"u42","k":10}</c>: the user's top-k unseen items.</summary>
    Recommend,
}
