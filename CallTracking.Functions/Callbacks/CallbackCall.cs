using System.Text.Json.Nodes;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Callbacks;

/// <summary>
/// The <c>POST /v1/calls</c> body of one attempt. The call goes to the agent first, from the tracking number (so the
/// agent sees which campaign it is); its inline NCCO runs only once the agent answers: a whisper, then a
/// <c>connect</c> to the caller, again from the tracking number (the number the caller dialled). Events of both legs
/// go to our event webhook: <c>CallTracking__PublicBaseUrl</c> when set, else the Vonage application's own event URL.
/// </summary>
public static class CallbackCall
{
    public static string Whisper(Campaign campaign) =>
        $"Returning a missed call about {campaign.Name}. Connecting you to the caller now.";

    public static JsonObject Build(Campaign campaign, string callerNumber, string? publicBaseUrl)
    {
        var tracking = E164.ToVonage(campaign.TrackingNumber);
        var eventUrl = string.IsNullOrWhiteSpace(publicBaseUrl) ? null : publicBaseUrl.Trim().TrimEnd('/') + "/api/event";
        var connect = new JsonObject
        {
            ["action"] = "connect",
            ["from"] = tracking,
            ["timeout"] = campaign.RingTimeoutSeconds,
            ["endpoint"] = new JsonArray(new JsonObject { ["type"] = "phone", ["number"] = E164.ToVonage(callerNumber) }),
        };
        var body = new JsonObject
        {
            ["to"] = new JsonArray(new JsonObject { ["type"] = "phone", ["number"] = E164.ToVonage(campaign.AgentNumber) }),
            ["from"] = new JsonObject { ["type"] = "phone", ["number"] = tracking },
            ["ringing_timer"] = campaign.RingTimeoutSeconds,
            ["ncco"] = new JsonArray(
                new JsonObject { ["action"] = "talk", ["text"] = Whisper(campaign) },
                connect),
        };
        if (eventUrl is not null)
        {
            connect["eventUrl"] = new JsonArray(eventUrl);
            body["event_url"] = new JsonArray(eventUrl);
        }

        return body;
    }
}
