using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.CallFlow;

/// <summary>
/// The per-campaign constant parts of its NCCOs, encoded once per cached campaign instance so that answering
/// is writing pre-encoded values. Building one also checks the row: a stored campaign that cannot be answered
/// (bad number, unknown time zone) throws here, and the answer path falls back.
/// </summary>
public sealed class CompiledCampaign
{
    public const string DefaultClosedMessage =
        "Thank you for calling. We are closed right now. Please call back during our opening hours.";

    public const string DefaultVoicemailMessage =
        "Thank you for calling. We are closed right now. Please leave a message after the tone, and press hash when you have finished.";

    /// <exception cref="InvalidDataException">The stored campaign is not usable.</exception>
    public CompiledCampaign(Campaign campaign)
    {
        Campaign = campaign;
        TrackingNumber = Number(campaign.TrackingNumber, "trackingNumber")!.Value;
        AgentNumber = Number(campaign.AgentNumber, "agentNumber")!.Value;
        FallbackNumber = Number(campaign.FallbackNumber, "fallbackNumber", optional: true);
        RingTimeoutSeconds = campaign.RingTimeoutSeconds is >= CampaignValidator.MinRingTimeoutSeconds and <= CampaignValidator.MaxRingTimeoutSeconds
            ? campaign.RingTimeoutSeconds
            : 30;

        if (campaign.RecordingNotice is { } notice)
        {
            if (!string.IsNullOrWhiteSpace(notice.AudioUrl))
            {
                NoticeAudioUrl = Encode(notice.AudioUrl);
            }
            else if (!string.IsNullOrWhiteSpace(notice.Text))
            {
                NoticeText = Encode(notice.Text);
            }

            NoticeLanguage = string.IsNullOrWhiteSpace(notice.Language) ? null : Encode(notice.Language);
        }

        if (!string.IsNullOrWhiteSpace(campaign.WhisperText))
        {
            WhisperCampaignQuery = Uri.EscapeDataString(campaign.Id);
        }

        try
        {
            Schedule = campaign.BusinessHours is { } hours ? new BusinessSchedule(hours) : null;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            throw new InvalidDataException($"Campaign {campaign.Id} has an unusable time zone.", ex);
        }

        var outOfHours = campaign.OutOfHours ?? new OutOfHours();
        OutOfHoursAction = outOfHours.Action;
        var message = outOfHours.Message;
        OutOfHoursMessage = outOfHours.Action switch
        {
            OutOfHoursAction.Voicemail => Encode(string.IsNullOrWhiteSpace(message) ? DefaultVoicemailMessage : message),
            OutOfHoursAction.Forward => string.IsNullOrWhiteSpace(message) ? null : Encode(message),
            _ => Encode(string.IsNullOrWhiteSpace(message) ? DefaultClosedMessage : message),
        };
        ForwardNumber = Number(outOfHours.ForwardNumber, "outOfHours.forwardNumber", optional: outOfHours.Action != OutOfHoursAction.Forward);
    }

    public Campaign Campaign { get; }

    /// <summary>E.164 digits without '+', as NCCOs want them.</summary>
    public JsonEncodedText TrackingNumber { get; }

    public JsonEncodedText AgentNumber { get; }

    public JsonEncodedText? FallbackNumber { get; }

    public JsonEncodedText? ForwardNumber { get; }

    public int RingTimeoutSeconds { get; }

    public JsonEncodedText? NoticeAudioUrl { get; }

    public JsonEncodedText? NoticeText { get; }

    public JsonEncodedText? NoticeLanguage { get; }

    /// <summary>The escaped campaign id for the whisper URL; null when the campaign has no whisper.</summary>
    public string? WhisperCampaignQuery { get; }

    public BusinessSchedule? Schedule { get; }

    public OutOfHoursAction OutOfHoursAction { get; }

    /// <summary>What the caller hears out of hours (null: a forward without a message).</summary>
    public JsonEncodedText? OutOfHoursMessage { get; }

    internal static JsonEncodedText Encode(string value) => JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);

    private JsonEncodedText? Number(string? e164, string field, bool optional = false)
    {
        if (string.IsNullOrEmpty(e164))
        {
            return optional ? null : throw new InvalidDataException($"Campaign {Campaign.Id} has no {field}.");
        }

        var digits = E164.ToVonage(e164);
        if (digits.Length is < 6 or > 15 || digits.AsSpan().ContainsAnyExceptInRange('0', '9'))
        {
            throw new InvalidDataException($"Campaign {Campaign.Id} has an unusable {field}.");
        }

        return Encode(digits);
    }
}

/// <summary>Compiles each cached campaign instance once (keyed by reference, so a reloaded campaign recompiles).</summary>
public sealed class CampaignCompiler
{
    private readonly ConditionalWeakTable<Campaign, CompiledCampaign> _compiled = [];

    /// <exception cref="InvalidDataException">The campaign cannot be answered.</exception>
    public CompiledCampaign Get(Campaign campaign) => _compiled.GetValue(campaign, static c => new CompiledCampaign(c));
}
