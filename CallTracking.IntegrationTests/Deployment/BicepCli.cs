using System.Diagnostics;
using System.Text.RegularExpressions;
using CallTracking.Tests.Infrastructure;

namespace CallTracking.Tests.Deployment;

/// <summary>
/// The Bicep CLI from the NuGet package pinned in infra/tools/BicepCli.csproj (scripts/test restores it first;
/// a test run on its own restores it here). Runs offline.
/// </summary>
public static partial class BicepCli
{
    private static readonly SemaphoreSlim RestoreGate = new(1, 1);

    public static string Project => RepositoryPaths.Combine("infra", "tools", "BicepCli.csproj");

    public static string Version { get; } = PinnedVersion().Match(File.ReadAllText(Project)) is { Success: true } match
        ? match.Groups[1].Value
        : throw new InvalidOperationException($"No pinned Azure.Bicep.CommandLine.linux-x64 version in {Project}");

    public static string ExecutablePath
    {
        get
        {
            var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
            if (string.IsNullOrEmpty(packages))
            {
                packages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            }

            return Path.Combine(packages, "azure.bicep.commandline.linux-x64", Version, "tools", "bicep");
        }
    }

    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string workingDirectory, params string[] arguments)
    {
        await EnsureInstalledAsync();
        return await RunProcessAsync(ExecutablePath, workingDirectory, arguments);
    }

    private static async Task EnsureInstalledAsync()
    {
        if (File.Exists(ExecutablePath))
        {
            return;
        }

        await RestoreGate.WaitAsync();
        try
        {
            if (!File.Exists(ExecutablePath))
            {
                var restore = await RunProcessAsync("dotnet", RepositoryPaths.Root, "restore", Project, "--nologo");
                if (restore.ExitCode != 0 || !File.Exists(ExecutablePath))
                {
                    throw new InvalidOperationException($"Could not restore the Bicep CLI ({ExecutablePath}):\n{restore.Output}\n{restore.Errors}");
                }
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(ExecutablePath, File.GetUnixFileMode(ExecutablePath) | UnixFileMode.UserExecute);
            }
        }
        finally
        {
            RestoreGate.Release();
        }
    }

    private static async Task<(int ExitCode, string Output, string Errors)> RunProcessAsync(string fileName, string workingDirectory, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within 5 minutes");
        }

        return (process.ExitCode, await output, await errors);
    }

    [GeneratedRegex("\"Azure\\.Bicep\\.CommandLine\\.linux-x64\"\\s+Version=\"\\[([^\\]]+)\\]\"")]
    private static partial Regex PinnedVersion();
}
