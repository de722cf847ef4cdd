using System.Text.Json.Serialization;

namespace RecoStream.Worker.Serving;

/// <summary>Source-generated JSON for HTTP error bodies.</summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class ErrorJsonContext : JsonSerializerContext;
