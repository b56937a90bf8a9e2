using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Forwarding;

/// <summary>A third party's part of a caller's erasure, with the ids to quote when asking them.</summary>
public sealed record ThirdPartyErasure(string Service, string Status, IReadOnlyList<string> Ids);

/// <summary>
/// A caller's erasure at Mixpanel: the people profile is deleted through <c>/engage</c> (<c>$delete</c>, with the
/// project token only). Deleting the caller's events needs Mixpanel's GDPR API
/// (<c>POST https://mixpanel.com/api/app/data-deletions/v3.0/?token=…</c> with an OAuth token of a project owner),
/// which the app does not hold: the answer says so and names the distinct_id to quote.
/// </summary>
public sealed class MixpanelErasure(MixpanelClient client, IOptions<MixpanelOptions> options)
{
    public async Task<IReadOnlyList<ThirdPartyErasure>> EraseAsync(string e164, CancellationToken cancellationToken)
    {
        if (!options.Value.IsConfigured)
        {
            return [new ThirdPartyErasure("mixpanel", "not configured: nothing was sent", [])];
        }

        // The distinct_id our sinks use for a caller (CallFacts.UserId): the E.164 number.
        var delete = new JsonArray(new JsonObject
        {
            ["$token"] = client.Token,
            ["$distinct_id"] = e164,
            ["$delete"] = "",
            ["$ignore_alias"] = false,
        });
        var result = await client.PostAsync(MixpanelClient.EngagePath, delete, cancellationToken);
        var profile = result.Status == DeliveryStatus.Delivered ? "profile deleted" : "profile deletion failed: " + result.Error + " (try again)";
        return
        [
            new ThirdPartyErasure("mixpanel", profile, [$"distinct_id {e164}"]),
            new ThirdPartyErasure("mixpanel events",
                "not erasable with the project token: request a GDPR deletion (Mixpanel GDPR API or support) for this distinct_id",
                [$"distinct_id {e164}"]),
        ];
    }
}
