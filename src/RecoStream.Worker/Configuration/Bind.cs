using System.Net;

namespace RecoStream.Worker.Configuration;

/// <summary>Bind addresses as configured: an IP address, <c>localhost</c>, or <c>*</c> for every interface.</summary>
internal static class Bind
{
    public static bool IsValid(string host) => host is "*" or "localhost" || IPAddress.TryParse(host, out _);

    public static IPAddress Parse(string host) => host switch
    {
        "*" => IPAddress.Any,
        "localhost" => IPAddress.Loopback,
        _ => IPAddress.Parse(host),
    };

    public static bool IsLoopback(string host) => host != "*" && IPAddress.IsLoopback(Parse(host));
}
