using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.CallFlow;

public static class CallFlowServices
{
    public static IServiceCollection AddCallFlow(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<CallTrackingOptions>, FallbackNumberValidation>();
        services.AddSingleton<BusinessHoursCalendar>();
        services.AddSingleton<CampaignCompiler>();
        services.AddSingleton<CallbackUrlResolver>();
        services.AddSingleton<AnswerService>();
        services.AddSingleton<CallStartRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<CallStartRecorder>());
        return services;
    }
}

/// <summary>A fallback number that is not a phone number must stop start-up, not surface on a live call.</summary>
internal sealed class FallbackNumberValidation : IValidateOptions<CallTrackingOptions>
{
    public ValidateOptionsResult Validate(string? name, CallTrackingOptions options) =>
        string.IsNullOrWhiteSpace(options.FallbackNumber) || E164.TryNormalize(options.FallbackNumber, options.DefaultCountry, out _)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{CallTrackingOptions.Section}:{nameof(options.FallbackNumber)} is not a phone number.");
}
