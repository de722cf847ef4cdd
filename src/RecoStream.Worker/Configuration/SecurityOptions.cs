namespace RecoStream.Worker.Configuration;

/// <summary>Access control (section <c>RecoStream:Security</c>).</summary>
internal sealed class SecurityOptions
{
    /// <summary>
    /// Shared token. When set, a TCP client must first send <c>{"op":"auth","token":"..."}</c> and HTTP requests
    /// other than <c>/healthz</c> and <c>/readyz</c> need <c>Authorization: Bearer ...</c>. Default empty (off).
    /// </summary>
    public string Token { get; set; } = "";
}
