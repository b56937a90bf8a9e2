using System.Net;
using System.Reflection;
using CallTracking.Functions.Common;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>Liveness probe for deployments and the local host; touches no storage.</summary>
public sealed class HealthFunction
{
    private static readonly string Version =
        typeof(HealthFunction).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    [Function("Health")]
    public Task<HttpResponseData> Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequestData req) =>
        req.JsonAsync(new { status = "ok", version = Version }, HttpStatusCode.OK);
}
