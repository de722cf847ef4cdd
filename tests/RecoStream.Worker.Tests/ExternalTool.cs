using System.Diagnostics;
using System.Text;

namespace RecoStream.Worker.Tests;

/// <summary>Real operations tools (promtool, prometheus) that tools/test.sh and .ci/run install.</summary>
internal static class ExternalTool
{
    public static string Require(string name)
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        Assert.Fail($"'{name}' is not installed; run tools/test.sh (it installs Debian's prometheus package) or apt-get install prometheus");
        return name;
    }

    /// <summary>Runs a tool to completion with the given standard input; returns its exit code and combined output.</summary>
    public static (int ExitCode, string Output) Run(string name, string[] args, string stdin)
    {
        var info = new ProcessStartInfo(Require(name))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        Assert.True(process.WaitForExit(60_000), $"{name} did not finish");
        output.Append(stdout.Result).Append(stderr.Result);
        return (process.ExitCode, output.ToString());
    }
}
