using System.Diagnostics;
using System.Text;
using CallTracking.Functions.Common;
using CallTracking.LocalHost.Configuration;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Vonage;
using Xunit;

namespace CallTracking.Tests.RealHost;

/// <summary>
/// A test that needs the real Azure Functions host: it runs when <c>CALLTRACKING_REAL_HOST</c> names a build of it
/// (the folder <c>../shared/realhost/build.sh</c> prints), and is skipped with that hint otherwise (CI cannot fetch
/// the host's source, so CI stays on the local host).
/// </summary>
public sealed class RealHostFactAttribute : FactAttribute
{
    public const string Variable = "CALLTRACKING_REAL_HOST";

    public RealHostFactAttribute()
    {
        if (RealHostFixture.HostDirectory is null)
        {
            Skip = $"{Variable} is not set: build the real Functions host with ../shared/realhost/build.sh and point {Variable} at the folder it prints.";
        }
    }
}

/// <summary>
/// The built app under the real Functions host (a separate process), with its own Azurite and a known master key
/// (file secrets), started once per test class. Settings are local.settings.json.example's values, as
/// <c>func start</c> would read them, plus the test's own; the real host reads no settings file itself.
/// </summary>
public sealed class RealHostFixture : IAsyncLifetime
{
    public const string MasterKey = "real-host-master-key-5e0c41d7";

    private readonly StringBuilder _log = new();
    private readonly string _secrets = Directory.CreateTempSubdirectory("calltracking-realhost-").FullName;
    private Process? _host;

    public static string? HostDirectory =>
        Environment.GetEnvironmentVariable(RealHostFactAttribute.Variable) is { Length: > 0 } dir ? dir : null;

    public AzuriteFixture Azurite { get; } = new();

    public HttpClient Client { get; private set; } = null!;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        if (HostDirectory is not { } hostDirectory)
        {
            return;
        }

        await Azurite.InitializeAsync();
        await File.WriteAllTextAsync(Path.Combine(_secrets, "host.json"),
            $$"""{"masterKey":{"name":"master","value":"{{MasterKey}}","encrypted":false},"functionKeys":[],"systemKeys":[]}""");
        var port = FreePorts.Next();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(hostDirectory, "Microsoft.Azure.WebJobs.Script.WebHost.dll")])
        {
            WorkingDirectory = hostDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var settings = LocalSettings.Load(RepositoryPaths.Combine("local.settings.json.example"), FunctionsHostFixture.AppDirectory, []);
        foreach (var (name, value) in settings.Values)
        {
            start.Environment[name] = value;
        }

        // Set on these machines; the host would think it runs in an Azure Linux container.
        start.Environment.Remove("CONTAINER_NAME");
        start.Environment["AzureWebJobsScriptRoot"] = FunctionsHostFixture.AppDirectory;
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["DOTNET_ROLL_FORWARD"] = "Major";
        start.Environment["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development";
        start.Environment["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated";
        start.Environment["AzureWebJobsSecretStorageType"] = "files";
        start.Environment["FUNCTIONS_SECRETS_PATH"] = _secrets;
        start.Environment[StorageNames.StorageConnection] = Azurite.ConnectionString;
        start.Environment["Vonage__VerifySignatures"] = "true";
        start.Environment["Vonage__SignatureSecret"] = VonageTokens.Secret;
        start.Environment["CallTracking__ProcessingDelaySeconds"] = "1";

        _host = Process.Start(start) ?? throw new InvalidOperationException("The real Functions host did not start.");
        _host.OutputDataReceived += (_, e) => Append(e.Data);
        _host.ErrorDataReceived += (_, e) => Append(e.Data);
        _host.BeginOutputReadLine();
        _host.BeginErrorReadLine();

        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        Client.DefaultRequestHeaders.Add("x-functions-key", MasterKey);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            if (_host.HasExited)
            {
                throw new InvalidOperationException($"The real Functions host exited with {_host.ExitCode}.\n{Log}");
            }

            try
            {
                if ((await Client.GetAsync(new Uri("api/health", UriKind.Relative))).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The real Functions host did not answer /api/health within 2 minutes.\n{Log}");
            }

            await Task.Delay(500);
        }
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_host is { HasExited: false })
        {
            _host.Kill(entireProcessTree: true);
            await _host.WaitForExitAsync();
        }

        _host?.Dispose();
        if (HostDirectory is not null)
        {
            await Azurite.DisposeAsync();
        }

        Directory.Delete(_secrets, recursive: true);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
