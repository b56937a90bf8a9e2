using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CallTracking.Functions.Telemetry;

/// <summary>
/// Application Insights for the worker, through OpenTelemetry and the Azure Monitor exporter: the invocations
/// (the Functions worker's spans), dependencies (HttpClient: Vonage, Mixpanel, impact.com, Segment; the Azure SDK's
/// Table/Queue spans), logs with their exceptions, and the <see cref="CallTrackingMetrics"/> counters.
/// On only when <see cref="ConnectionStringSetting"/> is set: otherwise nothing is registered (no exporter, no
/// listener, no cost), which is how it runs locally and in tests.
/// </summary>
public static class TelemetrySetup
{
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>App Service's convention for Entra auth: <c>Authorization=AAD;ClientId=&lt;user-assigned identity&gt;</c>.</summary>
    public const string AuthenticationStringSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>The Azure SDK's spans (storage operations) are behind this experimental switch.</summary>
    private const string AzureSdkActivitySwitch = "Azure.Experimental.EnableActivitySource";

    public static IHostApplicationBuilder AddCallTrackingTelemetry(this IHostApplicationBuilder builder)
    {
        AddCallTrackingTelemetry(builder.Services, builder.Configuration);
        return builder;
    }

    /// <returns>True when telemetry was registered.</returns>
    public static bool AddCallTrackingTelemetry(IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration[ConnectionStringSetting];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return false;
        }

        var credential = CredentialFor(configuration[AuthenticationStringSetting]);
        AppContext.SetSwitch(AzureSdkActivitySwitch, true);

        services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithTracing(tracing => tracing
                .AddSource("Azure.*")
                // Masks before the exporter (registered below) sees the span.
                .AddProcessor(new MaskingActivityProcessor())
                .AddHttpClientInstrumentation(http =>
                {
                    // The Azure SDK already has its own span for each storage request: no second one for its HTTP call.
                    http.FilterHttpRequestMessage = _ => System.Diagnostics.Activity.Current?.Parent?.Source.Name != "Azure.Core.Http";
                    // Query values stay redacted (the instrumentation's default): Number Insight's carries the API secret.
                }))
            .WithMetrics(metrics => metrics.AddMeter(CallTrackingMetrics.MeterName))
            .UseAzureMonitorExporter(exporter =>
            {
                exporter.ConnectionString = connectionString;
                if (credential is not null)
                {
                    exporter.Credential = credential;
                }
            });
        return true;
    }

    /// <summary>
    /// The credential for <c>Authorization=AAD</c> (keys in any order, any case): the user-assigned identity named by
    /// <c>ClientId</c>, else the system-assigned one. Null without it (instrumentation-key auth, e.g. local).
    /// </summary>
    public static TokenCredential? CredentialFor(string? authenticationString)
    {
        if (string.IsNullOrWhiteSpace(authenticationString))
        {
            return null;
        }

        var parts = authenticationString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2, StringSplitOptions.TrimEntries))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Authorization", out var authorization) || !string.Equals(authorization, "AAD", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return new ManagedIdentityCredential(parts.TryGetValue("ClientId", out var clientId) && clientId.Length > 0
            ? ManagedIdentityId.FromUserAssignedClientId(clientId)
            : ManagedIdentityId.SystemAssigned);
    }
}
