using CallTracking.Functions.Common;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Vonage;

/// <summary>
/// Which functions Vonage calls (and so must be signed), and the services of signature verification; the worker
/// middleware that applies them is part of the HTTP edge (<c>Http/VonageSignatureMiddleware</c>).
/// </summary>
public static class VonageWebhooks
{
    /// <summary>
    /// Function names (<c>[Function("...")]</c>) of every webhook Vonage calls. Matched by name so the middleware
    /// needs no reflection on the live call path; a new Vonage-facing function must be added here.
    /// </summary>
    public static readonly IReadOnlySet<string> SignedFunctions =
        new HashSet<string>(["Answer", "Event", "Recording", "Whisper", "Fallback"], StringComparer.Ordinal);

    /// <summary>
    /// The webhooks whose failures on our side answer 503 (<see cref="WebhookProblems.RetryLater"/>), one of the
    /// statuses Vonage retries on: every step of the call intake is idempotent, so a retry is safe and loses nothing.
    /// </summary>
    public static readonly IReadOnlySet<string> RetriedOnFailure = new HashSet<string>(["Event", "Recording"], StringComparer.Ordinal);

    public static bool IsSignedWebhook(FunctionContext context) => SignedFunctions.Contains(context.FunctionDefinition.Name);

    /// <summary>Options, verifier and replay guard (services).</summary>
    public static IServiceCollection AddVonageWebhookSignatures(this IServiceCollection services)
    {
        services.AddOptions<VonageOptions>()
            .BindConfiguration(VonageOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(sp => new JtiReplayGuard(sp.GetRequiredService<IOptions<VonageOptions>>().Value.ReplayCacheSize));
        services.AddSingleton<VonageSignatureVerifier>();
        services.AddSingleton<WebhookSignaturePolicy>();
        services.AddSingleton<ISettingsCheck>(sp => sp.GetRequiredService<WebhookSignaturePolicy>());
        services.AddHostedService<SignatureModeNotice>();
        return services;
    }

}

/// <summary>Says once, at start-up, that webhook signatures are not being checked.</summary>
internal sealed class SignatureModeNotice(WebhookSignaturePolicy policy, ILogger<SignatureModeNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!policy.Verify)
        {
            logger.LogWarning(
                "Vonage webhook signature verification is OFF (Vonage__VerifySignatures=false): anyone can post calls. " +
                "Use this for local runs only.");
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
