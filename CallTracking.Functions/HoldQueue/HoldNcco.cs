using System.Text.Json;
using System.Text.Json.Nodes;
using CallTracking.Functions.CallFlow;
using CallTracking.Functions.Campaigns;

namespace CallTracking.Functions.HoldQueue;

/// <summary>
/// The hold queue's NCCOs: on hold (notice, busy message, music in a loop), and the ones a transfer moves the caller's
/// leg to (connect to the agent, voicemail, the closing message). Webhooks in a transfer NCCO carry <c>?call=</c> with
/// the original call id: the leg lands in a new conversation, and its events must join the same call.
/// </summary>
public static class HoldNcco
{
    public const string DefaultBusyMessage = "All our agents are busy. Please hold.";

    public const string DefaultVoicemailMessage =
        "Sorry, nobody can take your call right now. Please leave a message after the tone, and press hash when you have finished.";

    public static byte[] OnHold(CompiledCampaign c, WhenBusy whenBusy, bool withNotice)
    {
        var w = NccoWriter.Start();
        if (withNotice && c.NoticeAudioUrl is { } audio)
        {
            NccoWriter.WriteStream(w, audio);
        }
        else if (withNotice && c.NoticeText is { } notice)
        {
            NccoWriter.WriteTalk(w, notice, c.NoticeLanguage);
        }

        NccoWriter.WriteTalk(w, CompiledCampaign.Encode(string.IsNullOrWhiteSpace(whenBusy.Message) ? DefaultBusyMessage : whenBusy.Message));
        NccoWriter.WriteStream(w, CompiledCampaign.Encode(whenBusy.HoldMusicUrl), loopForever: true);
        return NccoWriter.Finish(w);
    }

    public static JsonArray ConnectToAgent(CompiledCampaign c, string callbackBase, string callId)
    {
        var w = NccoWriter.Start();
        if (c.Campaign.RecordCalls)
        {
            NccoWriter.WriteVoicemailOrRecord(w, Recording(callbackBase, callId), voicemail: false);
        }

        NccoWriter.WriteConnect(w, c.TrackingNumber, default, c.AgentNumber, c.RingTimeoutSeconds, Event(callbackBase, callId),
            callbackBase.TrimEnd('/') + "/api/whisper?campaign=", c.WhisperCampaignQuery, synchronous: true);
        return Parse(NccoWriter.Finish(w));
    }

    public static JsonArray AfterMaxWait(WhenBusy whenBusy, string callbackBase, string callId) =>
        Parse(Closing(whenBusy.Then, whenBusy.ThenMessage, callbackBase, callId));

    /// <summary>
    /// The one voicemail mechanism: voicemail (the message, then <c>record</c> with a beep reporting to the call) or
    /// the closing message. Ends a wait at <c>maxWaitSeconds</c>, and a connect nobody answered (<c>whenUnanswered</c>).
    /// </summary>
    public static byte[] Closing(WhenBusyThen then, string? thenMessage, string callbackBase, string callId)
    {
        var w = NccoWriter.Start();
        if (then == WhenBusyThen.Voicemail)
        {
            NccoWriter.WriteTalk(w, CompiledCampaign.Encode(string.IsNullOrWhiteSpace(thenMessage) ? DefaultVoicemailMessage : thenMessage));
            NccoWriter.WriteVoicemailOrRecord(w, Recording(callbackBase, callId), voicemail: true);
        }
        else
        {
            NccoWriter.WriteTalk(w, CompiledCampaign.Encode(thenMessage ?? ""));
        }

        return NccoWriter.Finish(w);
    }

    private static JsonEncodedText Event(string callbackBase, string callId) =>
        CompiledCampaign.Encode($"{callbackBase.TrimEnd('/')}/api/event?call={Uri.EscapeDataString(callId)}");

    private static JsonEncodedText Recording(string callbackBase, string callId) =>
        CompiledCampaign.Encode($"{callbackBase.TrimEnd('/')}/api/recording?call={Uri.EscapeDataString(callId)}");

    private static JsonArray Parse(byte[] ncco) => JsonNode.Parse(ncco)!.AsArray();
}
