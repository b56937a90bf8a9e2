using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// impact.com Call Data API <c>logCallData</c> (form POST, Basic auth), for campaigns that carry impact ids.
/// Always sends an explicit <c>CallStatus</c>: impact assumes ANSWER when it is missing, which would pay an
/// affiliate for a missed call. <c>CallSessionId</c> and <c>VendorEventId</c> are our call id.
/// </summary>
public sealed class ImpactSink(HttpClient http, IOptions<ImpactOptions> options) : IDeliverySink, IRecordingSink
{
    public const string SinkName = "impact";
    public const string LogCallDataPath = "logCallData";

    /// <summary>
    /// impact.com documents <c>VendorEventId</c> only as "a unique Id ... for the Call and Conversion Event" and
    /// <c>CallSessionId</c> as the vendor's session id; nowhere that a repeat is deduplicated. So a POST that may have
    /// reached it is never retried blindly (<see cref="HttpFailure.MayHaveBeenSent"/>).
    /// </summary>
    public const bool Deduplicates = false;

    public string Name => SinkName;

    public bool IsEnabled => options.Value.IsConfigured;

    /// <summary>The ledger's reason while the token is missing; the call is not sent again once it is set.</summary>
    public const string NotConfigured = "not configured: Impact:AuthToken is missing";

    public string? SkipReason(ForwardedCall call) =>
        options.Value.LacksAuthToken ? NotConfigured
        : call.Campaign is null ? "no campaign for this number"
        : call.Campaign.Impact is null ? "campaign has no impact ids"
        : null;

    public async Task<SinkResult> SendAsync(ForwardedCall call, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        using var request = new HttpRequestMessage(HttpMethod.Post, LogCallDataPath)
        {
            Content = new FormUrlEncodedContent(BuildForm(call, settings.CallProvider)),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.AccountSid}:{settings.AuthToken}")));
        return await SinkHttp.SendAsync(http, request, ReadBody, [settings.AuthToken, settings.AccountSid], cancellationToken, Deduplicates);
    }

    /// <summary>The form fields, PascalCase as the Call Data API names them.</summary>
    public static List<KeyValuePair<string, string>> BuildForm(ForwardedCall forwarded, string callProvider)
    {
        var call = forwarded.Call;
        var ids = forwarded.Campaign?.Impact ?? throw new InvalidOperationException("The campaign has no impact ids.");
        var form = new List<KeyValuePair<string, string>>();
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                form.Add(new(name, value));
            }
        }

        Add("CampaignId", ids.CampaignId.ToString(CultureInfo.InvariantCulture));
        Add("MediaId", ids.MediaId.ToString(CultureInfo.InvariantCulture));
        Add("ActionTrackerId", ids.ActionTrackerId.ToString(CultureInfo.InvariantCulture));
        Add("EventDate", call.StartedAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        Add("CallProvider", callProvider);
        Add("CallSessionId", forwarded.CallId);
        Add("VendorEventId", forwarded.CallId);
        Add("CallerId", call.CallerNumber is { } caller ? PhoneDigits(caller) : "anonymous");
        Add("CalledPhoneNumber", call.TrackingNumber is { } tracking ? PhoneDigits(tracking) : "");
        Add("CallDuration", call.CallSeconds.ToString(CultureInfo.InvariantCulture));
        Add("TalkDuration", call.TalkSeconds.ToString(CultureInfo.InvariantCulture));
        // A withheld caller cannot be matched to a click: impact's own status for that, whatever the outcome.
        Add("CallStatus", CallFacts.IsWithheld(call) ? UnknownCallerId : CallStatusOf(call.Outcome));
        Add("RepeatCaller", RepeatCallerOf(call.FirstTimeCaller));
        Add("PhoneType", PhoneTypeOf(call.CallerLineType));
        // Always ours: impact reads a missing country as US. A withheld caller is taken to be in the tracking
        // number's country (the campaign's market).
        Add("CallerPhoneNumberCountry", CallFacts.CallerCountry(call) ?? (call.TrackingNumber is { } market ? E164.RegionOf(market) : null));
        Add("CalledPhoneNumberCountry", call.TrackingNumber is { } called ? E164.RegionOf(called) : null);
        Add("Region", call.CallerRegion);
        Add("CallRecording", forwarded.PublishedRecordingUrl);
        Add("AdId", ids.AdId?.ToString(CultureInfo.InvariantCulture));
        Add("SubId1", ids.SubId1);
        Add("SubId2", ids.SubId2);
        Add("SubId3", ids.SubId3);
        Add("PromoNumberDescription", ids.PromoNumberDescription);
        Add("TrafficSource", ids.TrafficSource);
        return form;
    }

    /// <summary>impact's status for a call whose caller id it cannot match (ours: withheld).</summary>
    public const string UnknownCallerId = "UNKNOWN_CALLERID";

    /// <summary>impact's <c>RepeatCaller</c> is "Repeat vs. New"; absent when the caller history is unknown.</summary>
    public static string? RepeatCallerOf(bool? firstTimeCaller) => firstTimeCaller switch
    {
        true => "New",
        false => "Repeat",
        null => null,
    };

    /// <summary>Our outcome in impact's terms; never left to impact's ANSWER default.</summary>
    public static string CallStatusOf(CallOutcome outcome) => outcome switch
    {
        CallOutcome.Answered or CallOutcome.AnsweredAfterHold => "ANSWER",
        CallOutcome.Busy => "CONGESTION",
        CallOutcome.Unanswered or CallOutcome.Timeout => "INCOMPLETE",
        CallOutcome.Rejected or CallOutcome.Failed => "FAILURE",
        CallOutcome.Abandoned => "CANCEL",
        CallOutcome.NotConnected => "NO_TRANSFER_ATTEMPT",
        // Hung up in the hold queue: the caller gave up, as with a cancelled ring.
        CallOutcome.AbandonedOnHold => "CANCEL",
        // A voicemail is a lead, but nobody answered: never impact's ANSWER.
        CallOutcome.Voicemail => "INCOMPLETE",
        _ => "FAILURE",
    };

    public static string PhoneTypeOf(string? lineType) => lineType?.ToLowerInvariant() switch
    {
        "mobile" => "Mobile",
        "landline" => "Landline",
        _ => "",
    };

    /// <summary>
    /// impact documents US formats (XXXXXXXXXX): NANP numbers (+1) go as their 10 national digits, others as
    /// their international digits without '+' (impact's country fields say which country).
    /// </summary>
    public static string PhoneDigits(string e164)
    {
        var digits = e164.TrimStart('+');
        return digits.Length == 11 && digits[0] == '1' ? digits[1..] : digits;
    }

    /// <summary>impact answers <c>{"Status":"OK"}</c>; another Status is a refusal. Null = delivered.</summary>
    internal static SinkResult? ReadBody(int httpStatus, string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("Status", out var status)
                && !string.Equals(status.ToString(), "OK", StringComparison.OrdinalIgnoreCase))
            {
                return SinkResult.Permanent("impact.com: " + body, httpStatus);
            }
        }
        catch (JsonException)
        {
            // A 2xx without a JSON body: the request was accepted.
        }

        return null;
    }
}
