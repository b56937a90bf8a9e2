using System.Globalization;
using System.Text.Json.Nodes;
using CallTracking.Functions.Processing;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// Mixpanel event <c>Inbound Call</c>. <c>$insert_id</c> and <c>time</c> are derived from the call, so a
/// retried send deduplicates in Mixpanel.
/// </summary>
public sealed class MixpanelEventSink(MixpanelClient client, IOptions<MixpanelOptions> options) : IDeliverySink
{
    public const string SinkName = "mixpanel";

    public string Name => SinkName;

    public bool IsEnabled => options.Value.IsConfigured;

    public string? SkipReason(ForwardedCall call) => null;

    public Task<SinkResult> SendAsync(ForwardedCall call, CancellationToken cancellationToken) =>
        client.PostAsync(MixpanelClient.TrackPath, [BuildEvent(call, client.Token)], cancellationToken);

    public static JsonObject BuildEvent(ForwardedCall forwarded, string token)
    {
        var call = forwarded.Call;
        var properties = new JsonObject
        {
            ["token"] = token,
            ["distinct_id"] = CallFacts.UserId(call),
            ["time"] = call.StartedAt.ToUnixTimeMilliseconds(),
            ["$insert_id"] = CallFacts.MessageId(forwarded.CallId, "mixpanel-event"),
            ["ip"] = "0",
            ["Campaign Id"] = forwarded.Campaign?.Id ?? call.CampaignId,
            ["Campaign Name"] = forwarded.Campaign?.Name,
            ["Tracking Number"] = call.TrackingNumber,
            ["Outcome"] = call.Outcome.ToString(),
            ["Answered"] = call.Outcome is CallOutcome.Answered or CallOutcome.AnsweredAfterHold,
            ["Call Duration"] = call.CallSeconds,
            ["Talk Duration"] = call.TalkSeconds,
            ["Hold Duration"] = call.HoldSeconds > 0 ? call.HoldSeconds : null,
            ["Cost"] = call.CarrierCost,
            ["Currency"] = "EUR",
            ["Caller Country"] = CallFacts.CallerCountry(call),
            ["Caller Region"] = call.CallerRegion,
            ["Caller Carrier"] = call.CallerCarrier,
            ["Caller Line Type"] = call.CallerLineType,
            ["First Time Caller"] = call.FirstTimeCaller,
            ["Withheld Caller"] = CallFacts.IsWithheld(call),
            ["Recorded"] = call.RecordingUrl is not null,
            ["Start Time"] = CallFacts.Iso(call.StartedAt),
            ["End Time"] = call.CallerLeg.EndTime is { } end ? CallFacts.Iso(end) : null,
            ["Conversation UUID"] = forwarded.CallId,
        };
        RemoveNulls(properties);
        return new JsonObject { ["event"] = CallFacts.EventName, ["properties"] = properties };
    }

    internal static void RemoveNulls(JsonObject json)
    {
        foreach (var key in json.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            json.Remove(key);
        }
    }
}

/// <summary>
/// The caller's Mixpanel profile: <c>$set</c> the latest facts, <c>$add</c> one to Number of Calls and
/// <c>$append</c> the carrier charge to <c>$transactions</c>. <c>$add</c>/<c>$append</c> are not idempotent,
/// so this has its own ledger entry and is never re-sent once delivered, whatever happens to the event.
/// </summary>
public sealed class MixpanelPeopleSink(MixpanelClient client, IOptions<MixpanelOptions> options) : IDeliverySink
{
    public const string SinkName = "mixpanel-people";

    public string Name => SinkName;

    public bool IsEnabled => options.Value.IsConfigured && options.Value.UpdateProfiles;

    public string? SkipReason(ForwardedCall call) => CallFacts.IsWithheld(call.Call) ? "caller withheld: no profile" : null;

    public Task<SinkResult> SendAsync(ForwardedCall call, CancellationToken cancellationToken) =>
        client.PostAsync(MixpanelClient.EngagePath, BuildUpdates(call, client.Token), cancellationToken);

    /// <summary>One update object per operation, sent together in one request.</summary>
    public static JsonArray BuildUpdates(ForwardedCall forwarded, string token)
    {
        var call = forwarded.Call;
        var startedAt = call.StartedAt;
        JsonObject Update(string operation, JsonNode value) => new()
        {
            ["$token"] = token,
            ["$distinct_id"] = CallFacts.UserId(call),
            ["$time"] = startedAt.ToUnixTimeSeconds(),
            ["$ip"] = "0",
            [operation] = value,
        };

        var set = new JsonObject
        {
            ["$phone"] = call.CallerNumber,
            ["Country"] = CallFacts.CallerCountry(call),
            ["Region"] = call.CallerRegion,
            ["Carrier"] = call.CallerCarrier,
            ["Line Type"] = call.CallerLineType,
            ["Last Campaign"] = forwarded.Campaign?.Name ?? call.CampaignId,
            ["Last Call"] = CallFacts.Iso(startedAt),
        };
        MixpanelEventSink.RemoveNulls(set);

        var updates = new JsonArray
        {
            Update("$set", set),
            Update("$add", new JsonObject { ["Number of Calls"] = 1 }),
        };

        var cost = call.CarrierCost;
        if (cost > 0)
        {
            // As the seed's people_track_charge(-price): the carrier charge is money spent on this caller.
            updates.Add(Update("$append", new JsonObject
            {
                ["$transactions"] = new JsonObject
                {
                    ["$amount"] = -cost,
                    ["$time"] = startedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture),
                    ["Call"] = forwarded.CallId,
                },
            }));
        }

        return updates;
    }
}
