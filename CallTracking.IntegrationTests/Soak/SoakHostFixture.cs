using System.Security.Cryptography;
using CallTracking.Simulator;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.Soak;

/// <summary>
/// The app behind the local host on a disk-persisted Azurite of its own (so the soak can restart it and then count
/// every row and message), with signed webhooks on and every sink pointed at one stub server.
/// </summary>
public class SoakHostFixture() : FunctionsHostFixture(new PersistentAzuriteFixture()), IAsyncLifetime
{
    public const string SignatureSecret = "soak-signature-secret-0c1d";
    public const string ApiKey = "soak-api-key";

    public const string MixpanelTrack = "/mixpanel/track";
    public const string MixpanelEngage = "/mixpanel/engage";
    public const string ImpactLogCallData = "/calldata/logCallData";
    public const string SegmentTrack = "/segment/v1/track";

    /// <summary>Longer than a call's webhooks take to arrive, even while Azurite restarts (the sender retries for ~16 s).</summary>
    public const int ProcessingDelaySeconds = 20;

    /// <summary>
    /// Per-attempt sink timeout; the fault injector's slow answers take longer. Not shorter: on a loaded machine a
    /// healthy answer can take a second, and a Mixpanel people update acknowledged after the client gave up is sent again.
    /// </summary>
    public const int SinkAttemptTimeoutSeconds = 3;

    public static readonly IReadOnlyList<(string Method, string Path, StubResponse Healthy)> SinkRoutes =
    [
        ("POST", MixpanelTrack, StubResponse.Json(200, "{\"status\":1,\"error\":null}")),
        ("POST", MixpanelEngage, StubResponse.Json(200, "{\"status\":1,\"error\":null}")),
        ("POST", ImpactLogCallData, StubResponse.Json(200, "{\"Status\":\"OK\"}")),
        ("POST", SegmentTrack, StubResponse.Json(200, "{\"success\":true}")),
    ];

    public HttpStubServer Sinks { get; private set; } = null!;

    /// <summary>The simulator's own Voice API: the hold queue's transfers land here (the app signs them with <see cref="_voiceKey"/>).</summary>
    public SimVoiceApi VoiceApi { get; private set; } = null!;

    private readonly RSA _voiceKey = RSA.Create(2048);

    /// <summary>True when <paramref name="authorization"/> is a bearer RS256 JWT signed with the application's key.</summary>
    public bool IsSignedByApplication(string? authorization)
    {
        var parts = authorization is { } a && a.StartsWith("Bearer ", StringComparison.Ordinal) ? a["Bearer ".Length..].Split('.') : [];
        return parts.Length == 3 && _voiceKey.VerifyData(System.Text.Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]),
            Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    public new async Task InitializeAsync()
    {
        Sinks = await HttpStubServer.StartAsync();
        VoiceApi = SimVoiceApi.Start();
        foreach (var (method, path, healthy) in SinkRoutes)
        {
            Sinks.On(method, path, healthy);
        }

        await base.InitializeAsync();
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Sinks is not null)
        {
            await Sinks.DisposeAsync();
        }

        if (VoiceApi is not null)
        {
            await VoiceApi.DisposeAsync();
        }

        _voiceKey.Dispose();
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["Vonage__VerifySignatures"] = "true";
        settings["Vonage__SignatureSecret"] = SignatureSecret;
        settings["Vonage__ApiKey"] = ApiKey;
        settings["CallTracking__ProcessingDelaySeconds"] = ProcessingDelaySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Mixpanel__Token"] = "soak-mixpanel-token";
        settings["Mixpanel__ApiBaseUrl"] = Sinks.BaseUrl + "/mixpanel";
        settings["Impact__AccountSid"] = "IRsoak";
        settings["Impact__AuthToken"] = "soak-impact-token";
        settings["Impact__ApiBaseUrl"] = Sinks.BaseUrl + "/calldata/";
        settings["Segment__WriteKey"] = "soak-segment-key";
        settings["Segment__ApiBaseUrl"] = Sinks.BaseUrl + "/segment";
        settings["Forwarding__MaxRetryAttempts"] = "2";
        settings["Forwarding__RetryDelayMilliseconds"] = "50";
        settings["Forwarding__AttemptTimeoutSeconds"] = SinkAttemptTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Forwarding__TotalTimeoutSeconds"] = "8";
        // The shortest watchdog allowed: a call whose completion send and claim release both fail while storage is cut
        // off (webhook retries then find the claim still fresh and ack) is queued by the watchdog 5 minutes after its
        // answer, within the drain, instead of after the default 4 hours. A CI run hit exactly that once.
        settings["CallTracking__StaleCallMinutes"] = "5";
        // Two failed deliveries and a message goes to poison, so the soak's Segment outage exercises poison and replay
        // within minutes (the app's host.json says 20; the local host honours the same override as func).
        settings["AzureFunctionsJobHost__extensions__queues__maxDequeueCount"] = "2";
        // Longer than a call's sends to all four sinks, so a duplicate message never takes over a send in progress.
        settings["Forwarding__ClaimSeconds"] = "40";
        // Hold-queue transfers, callback attempts and recording downloads go to the simulator's one Voice API.
        settings["Vonage__VoiceApiBaseUrl"] = VoiceApi.BaseUrl;
        settings["Vonage__ApplicationId"] = "soak-application";
        settings["Vonage__PrivateKey"] = _voiceKey.ExportPkcs8PrivateKeyPem().Replace("\n", "\\n", StringComparison.Ordinal);
    }
}

[CollectionDefinition(Name)]
public sealed class SoakCollection : ICollectionFixture<SoakHostFixture>
{
    public const string Name = "Soak";
}
