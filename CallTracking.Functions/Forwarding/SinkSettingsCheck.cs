using CallTracking.Functions.Common;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// Sinks switched on without the secret they need. Mixpanel and Segment have one setting each (empty: off), so only
/// impact.com, switched on by its account SID, and the outgoing webhook, by its URL, can be half configured.
/// </summary>
public sealed class SinkSettingsCheck(IOptions<ImpactOptions> impact, IOptions<WebhookOptions> webhooks) : ISettingsCheck
{
    public IEnumerable<SettingProblem> Problems()
    {
        if (impact.Value.LacksAuthToken)
        {
            yield return new SettingProblem($"{ImpactOptions.Section}:{nameof(ImpactOptions.AuthToken)}",
                "missing while Impact:AccountSid is set: calls are not sent to impact.com (ledger: not configured) until it is set.");
        }

        if (webhooks.Value.LacksSecret)
        {
            yield return new SettingProblem($"{WebhookOptions.Section}:{nameof(WebhookOptions.Secret)}",
                "missing while Webhooks:Url is set: no outgoing callback is sent (nothing to sign with) until it is set.");
        }
    }
}
