namespace RecoStream.Core.Events;

/// <summary>The operations a request line can ask for.</summary>
public enum RequestOp
{
    /// <summary><c>{"op":"recommend","user":"u42","k":10}</c>: the user's top-k unseen items.</summary>
    Recommend,
    /// <summary><c>{"op":"predict","user":"u42","item":"i3"}</c>: the model's score for one pair.</summary>
    Predict,
    /// <summary><c>{"op":"flush"}</c>: answered once every line before it from the same origin has been applied.</summary>
    Flush,
    /// <summary><c>{"op":"auth","token":"..."}</c>: authenticates a TCP connection (checked by the source).</summary>
    Auth,
    /// <summary>
    /// <c>{"op":"snapshot","name":"nightly"}</c>: checkpoints, then writes a copy of the store (a RocksDB checkpoint) to
    /// the snapshot folder under that name, for backup; a worker started on a copy of it has the model.
    /// </summary>
    Snapshot,
}
