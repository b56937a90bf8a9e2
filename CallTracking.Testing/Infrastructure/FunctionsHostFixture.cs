using System.Reflection;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using CallTracking.Functions.Common;
using CallTracking.LocalHost;
using CallTracking.LocalHost.Configuration;
using CallTracking.Tests.Vonage;
using Microsoft.Extensions.Logging;
using Xunit;

namespace CallTracking.Tests.Infrastructure;

/// <summary>
/// The built Functions app, run end to end: a real Azurite plus the local Functions host (in this process)
/// driving the real worker process, started once per test collection on free ports. Tests talk to the app
/// only over HTTP (<see cref="Client"/>) and storage. Override <see cref="ConfigureSettings"/> in a subclass
/// for a collection that needs other settings.
/// </summary>
public class FunctionsHostFixture : IAsyncLifetime
{
    private readonly CapturedLogs _log = new();
    private ILoggerFactory? _loggerFactory;

    public FunctionsHostFixture() : this(new AzuriteFixture())
    {
    }

    /// <summary>For a collection that needs its own kind of Azurite (e.g. disk-persisted, to restart it mid-test).</summary>
    protected FunctionsHostFixture(AzuriteFixture azurite) => Azurite = azurite;

    public AzuriteFixture Azurite { get; }

    public LocalFunctionsHost Host { get; private set; } = null!;

    /// <summary>Talks to the host; its base address is the host's root (paths start with <c>api/</c>).</summary>
    public HttpClient Client { get; private set; } = null!;

    public QueueServiceClient Queues => Azurite.QueueService();

    public TableServiceClient Tables => Azurite.TableService();

    /// <summary>Everything the host and the worker logged so far.</summary>
    public string Log => string.Join(Environment.NewLine,
        _log.Entries.Select(e => $"{e.Level} {e.Category}: {e.Message}{Describe(e.Exception)}"));

    // The whole chain of messages: "An error occurred while sending the request" alone does not say what failed.
    private static string Describe(Exception? exception)
    {
        var messages = new List<string>();
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            messages.Add($"{ex.GetType().Name}: {ex.Message}");
        }

        return messages.Count == 0 ? "" : " " + string.Join(" ---> ", messages);
    }

    /// <summary>The Functions project's build output for the configuration the tests were built with.</summary>
    public static string AppDirectory { get; } = RepositoryPaths.Combine("CallTracking.Functions", "bin", BuildConfiguration, "net10.0");

    /// <summary>The local host's own build output (for tests that run it as a separate process).</summary>
    public static string LocalHostAssembly { get; } =
        RepositoryPaths.Combine("tools", "CallTracking.LocalHost", "bin", BuildConfiguration, "net10.0", "CallTracking.LocalHost.dll");

    public static string BuildConfiguration =>
        typeof(FunctionsHostFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>
    /// Settings on top of local.settings.json.example. The defaults make failed queue messages visible again at
    /// once and poll often, so poison-queue tests do not wait out production back-offs.
    /// </summary>
    protected virtual void ConfigureSettings(IDictionary<string, string?> settings)
    {
        settings[StorageNames.StorageConnection] = Azurite.ConnectionString;
        // Signed webhooks stay on, as in production; tests sign with the same secret (VonageTokens).
        settings["Vonage__VerifySignatures"] = "true";
        settings["Vonage__SignatureSecret"] = VonageTokens.Secret;
        settings[HostJson.OverridePrefix + "extensions__queues__visibilityTimeout"] = "00:00:00";
        settings[HostJson.OverridePrefix + "extensions__queues__maxPollingInterval"] = "00:00:00.200";
    }

    /// <summary>True: function-level endpoints need <see cref="LocalFunctionsHost.Keys"/> (as in Azure).</summary>
    protected virtual bool RequireKeys => false;

    public async Task InitializeAsync()
    {
        await Azurite.InitializeAsync();
        _loggerFactory = LoggerFactory.Create(b => b.AddProvider(_log).SetMinimumLevel(LogLevel.Debug)
            .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
            .AddFilter("Grpc", LogLevel.Warning)
            .AddFilter("Azure", LogLevel.Warning));

        var options = new LocalHostOptions
        {
            Port = 0,
            AppDirectory = AppDirectory,
            SettingsFile = RepositoryPaths.Combine("local.settings.json.example"),
            RequireKeys = RequireKeys,
        };
        ConfigureSettings(options.Settings);
        try
        {
            Host = await LocalFunctionsHost.StartAsync(options, _loggerFactory);
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"The local Functions host did not start: {ex.Message}\nLog:\n{Log}", ex);
        }

        Client = new HttpClient { BaseAddress = Host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        _loggerFactory?.Dispose();
        await Azurite.DisposeAsync();
    }
}
