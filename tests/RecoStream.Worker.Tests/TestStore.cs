namespace RecoStream.Worker.Tests;

/// <summary>A fresh store folder under the temp directory, deleted afterwards.</summary>
internal sealed class TestStore : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "recostream-worker-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
