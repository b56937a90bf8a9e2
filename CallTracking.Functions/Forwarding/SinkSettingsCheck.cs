using CallTracking.Functions.Common;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// Sinks switched on without the secret they need. Mixpanel and Segment have one setting each (empty: off), so only
/// impact.com, switched on by its account SID, can be half configured.
/// </summary>
public sealed class SinkSettingsCheck(IOptions<ImpactOptions> impact) : ISettingsCheck
{
    public IEnumerable<SettingProblem> Problems()
    {
        if (impact.Value.LacksAuthToken)
        {
            yield return new SettingProblem($"{ImpactOptions.Section}:{nameof(ImpactOptions.AuthToken)}",
                "missing while Impact:AccountSid is set: calls are not sent to impact.com (ledger: not configured) until it is set.");
        }
    }
}
