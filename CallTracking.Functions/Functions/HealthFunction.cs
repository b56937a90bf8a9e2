using System.Net;
using System.Reflection;
using CallTracking.Functions.Common;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>
/// Liveness probe for deployments and the local host; touches no storage. <c>degraded</c> (still 200: the app runs)
/// names the settings it lacks, never their values.
/// </summary>
public sealed class HealthFunction(SettingsHealth settings)
{
    private static readonly string Version =
        typeof(HealthFunction).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    [Function("Health")]
    public Task<HttpResponseData> Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequestData req) =>
        req.JsonAsync(settings.IsDegraded
            ? new HealthReport("degraded", Version, settings.Problems)
            : new HealthReport("ok", Version, null));
}

public sealed record HealthReport(string Status, string Version, IReadOnlyList<SettingProblem>? Problems);
