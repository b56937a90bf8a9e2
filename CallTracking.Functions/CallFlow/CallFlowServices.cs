using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.CallFlow;

public static class CallFlowServices
{
    public static IServiceCollection AddCallFlow(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<CallTrackingOptions>, CallFlowOptionsValidation>();
        services.AddSingleton<FallbackNcco>();
        services.AddSingleton<BusinessHoursCalendar>();
        services.AddSingleton<CampaignCompiler>();
        services.AddSingleton<CallbackUrlResolver>();
        services.AddSingleton<AnswerService>();
        services.AddSingleton<CallStartRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<CallStartRecorder>());
        return services;
    }
}

/// <summary>Settings the live call path depends on must stop start-up when wrong, not surface on a live call.</summary>
internal sealed class CallFlowOptionsValidation : IValidateOptions<CallTrackingOptions>
{
    public ValidateOptionsResult Validate(string? name, CallTrackingOptions options)
    {
        var failures = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.FallbackNumber) && !E164.TryNormalize(options.FallbackNumber, options.DefaultCountry, out _))
        {
            failures.Add($"{CallTrackingOptions.Section}:{nameof(options.FallbackNumber)} is not a phone number.");
        }

        if (!string.IsNullOrWhiteSpace(options.PublicBaseUrl)
            && !(Uri.TryCreate(options.PublicBaseUrl.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)))
        {
            failures.Add($"{CallTrackingOptions.Section}:{nameof(options.PublicBaseUrl)} must be an absolute http(s) URL, or empty.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
