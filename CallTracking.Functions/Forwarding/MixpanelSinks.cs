using System.Globalization;
using System.Text.Json.Nodes;
using CallTracking.Functions.Enrichment;
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
/// The caller's Mixpanel profile, idempotent so a re-send (a retry after a timeout, a redelivery after a crash) cannot
/// count twice: <c>$set</c> the latest facts with the call count and first/last call taken from our own caller profile
/// (<see cref="ICallerProfiles"/>, which counts each call once), and <c>$union</c> the call id into <c>Call Ids</c> and
/// the carrier charge into <c>$transactions</c> (a list merge without duplicates; the charge is the same object every
/// time). It keeps its own ledger entry all the same.
/// </summary>
public sealed class MixpanelPeopleSink(MixpanelClient client, IOptions<MixpanelOptions> options, ICallerProfiles profiles) : IDeliverySink
{
    public const string SinkName = "mixpanel-people";

    public string Name => SinkName;

    public bool IsEnabled => options.Value.IsConfigured && options.Value.UpdateProfiles;

    public string? SkipReason(ForwardedCall call) => CallFacts.IsWithheld(call.Call) ? "caller withheld: no profile" : null;

    public async Task<SinkResult> SendAsync(ForwardedCall call, CancellationToken cancellationToken)
    {
        // Read at send time: the count only grows, so the latest value is right whatever order calls are sent in.
        var profile = await profiles.GetAsync(call.Call.CallerNumber, cancellationToken);
        return await client.PostAsync(MixpanelClient.EngagePath, BuildUpdates(call, client.Token, profile), cancellationToken);
    }

    /// <summary>One update object per operation, sent together in one request.</summary>
    /// <param name="profile">Our profile of the caller; null (not kept, e.g. not E.164) leaves the counts out.</param>
    public static JsonArray BuildUpdates(ForwardedCall forwarded, string token, CallerProfile? profile)
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

        // An older call sent late must not overwrite the latest call's campaign.
        var latest = profile?.LastCallId is not { } lastCallId || string.Equals(lastCallId, forwarded.CallId, StringComparison.Ordinal);
        var set = new JsonObject
        {
            ["$phone"] = call.CallerNumber,
            ["Country"] = CallFacts.CallerCountry(call),
            ["Region"] = call.CallerRegion,
            ["Carrier"] = call.CallerCarrier,
            ["Line Type"] = call.CallerLineType,
            ["Last Campaign"] = latest ? forwarded.Campaign?.Name ?? call.CampaignId : null,
            ["Number of Calls"] = profile?.CallCount,
            ["First Call"] = profile?.FirstSeenAt is { } first ? CallFacts.Iso(first) : null,
            ["Last Call"] = CallFacts.Iso(profile?.LastSeenAt is { } last && last > startedAt ? last : startedAt),
        };
        MixpanelEventSink.RemoveNulls(set);

        var union = new JsonObject { ["Call Ids"] = new JsonArray(forwarded.CallId) };
        var cost = call.CarrierCost;
        if (cost > 0)
        {
            // As the seed's people_track_charge(-price), but merged rather than appended: the same call's charge once.
            union["$transactions"] = new JsonArray(new JsonObject
            {
                ["$amount"] = -cost,
                ["$time"] = startedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture),
                ["Call"] = forwarded.CallId,
            });
        }

        return [Update("$set", set), Update("$union", union)];
    }
}
