using System.Net;
using System.Reflection;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>
/// Liveness probe for deployments and the local host; touches no storage. <c>degraded</c> (still 200: the app runs)
/// names the settings it lacks, never their values. <c>callStarts</c>: this instance's background call-start writer
/// (written, waiting, dropped because its queue was full: those rows are left to the event webhook); <c>startup</c>: how
/// long this instance took from its process's start to storage being ready (created in the background while the worker connects).
/// </summary>
public sealed class HealthFunction(SettingsHealth settings, CallStartRecorder callStarts, StorageInitializerService storage)
{
    private static readonly string Version =
        typeof(HealthFunction).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    [Function("Health")]
    public Task<HttpResponseData> Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequestData req) =>
        req.JsonAsync((settings.IsDegraded
            ? new HealthReport("degraded", Version, settings.Problems)
            : new HealthReport("ok", Version, null)) with
        {
            CallStarts = new CallStartHealth(callStarts.Written, callStarts.Pending, callStarts.Dropped),
            Startup = new StartupHealth(storage.ReadyAfterProcessStartMilliseconds, storage.StorageMilliseconds),
        });
}

public sealed record HealthReport(string Status, string Version, IReadOnlyList<SettingProblem>? Problems)
{
    public CallStartHealth? CallStarts { get; init; }

    public StartupHealth? Startup { get; init; }
}

/// <summary>This instance's start-up (ms): process start → storage ready (in the background, alongside the worker's connection), and the storage phase alone.</summary>
public sealed record StartupHealth(long? StorageReadyAfterProcessStartMs, long? StorageMs);

/// <summary>The call-start writer of the instance that answered, since it started.</summary>
public sealed record CallStartHealth(long Written, int Pending, long Dropped);
