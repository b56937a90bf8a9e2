using CallTracking.Functions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CallTracking.Tests.Infrastructure;

/// <summary>
/// The app's real service registrations against Azurite, for tests that exercise domain services
/// in process (end-to-end tests go through the local Functions host instead).
/// </summary>
public static class TestServices
{
    public static ServiceProvider Create(AzuriteFixture azurite, IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configure = null)
    {
        var configuration = azurite.Configuration(WithDefaults(settings));
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug));
        services.AddCallTrackingApp();
        configure?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>Settings every test gets unless it overrides them (the app refuses to start without them).</summary>
    public static readonly IReadOnlyDictionary<string, string?> DefaultSettings = new Dictionary<string, string?>
    {
        ["Vonage:SignatureSecret"] = "test-signature-secret",
    };

    private static Dictionary<string, string?> WithDefaults(IDictionary<string, string?>? settings)
    {
        var merged = new Dictionary<string, string?>(DefaultSettings, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            merged[key.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        return merged;
    }

    /// <summary>A fresh id so tests sharing one Azurite never see each other's rows.</summary>
    public static string UniqueId(string prefix = "t") => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 40)];
}
