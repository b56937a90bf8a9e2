using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Enrichment;
using CallTracking.Functions.Forwarding;
using CallTracking.Functions.Processing;
using Xunit;

namespace CallTracking.Tests.Forwarding;

/// <summary>
/// The exact bytes each sink gets for a processed call. Analytics deduplicate on them and impact.com pays affiliates
/// on them, so any change here must be deliberate.
/// </summary>
public class SinkPayloadTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 30, 0, 250, TimeSpan.Zero);

    private static readonly Campaign SpringRadio = new()
    {
        Id = "spring-radio",
        Name = "Spring \"radio\" ad",
        TrackingNumber = "+14155550100",
        AgentNumber = "+14155550199",
        Impact = new ImpactIds(1234, 567890, 42),
    };

    [Fact]
    public async Task An_answered_enriched_call()
    {
        var call = Forwarded(new CallRecord
        {
            PartitionKey = "CON-11111111-2222-3333-4444-555555555555",
            CampaignId = SpringRadio.Id,
            TrackingNumber = SpringRadio.TrackingNumber,
            CallerNumber = "+442071838750",
            AgentNumber = SpringRadio.AgentNumber,
            Route = "connect",
            AnsweredAt = Start,
            InboundLegUuid = "in-leg",
            InboundStatus = "completed",
            InboundStartTime = Start,
            InboundEndTime = Start.AddSeconds(95),
            InboundDurationSeconds = 95,
            InboundPrice = 0.0095,
            InboundRate = 0.006,
            AgentLegUuid = "agent-leg",
            AgentStatus = "completed",
            AgentAnsweredAt = Start.AddSeconds(12),
            AgentEndTime = Start.AddSeconds(95),
            AgentDurationSeconds = 83,
            AgentPrice = 0.00830001,
            RecordingUrl = "https://api.nexmo.com/v1/files/aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
            CompletedAt = Start.AddSeconds(95),
            Outcome = "Answered",
            TalkSeconds = 83,
            CallSeconds = 95,
            CarrierCost = 0.01780001,
            FirstTimeCaller = false,
            CallerCountry = "GB",
            CallerRegion = "London",
            CallerCarrier = "Vodafone UK",
            CallerLineType = "mobile",
            EnrichmentProvider = "NumberInsightAdvanced",
            EnrichmentCost = 0.03,
            ProcessedAt = Start.AddMinutes(1),
        }, SpringRadio);

        Assert.Equal(
            """
            {"event":"Inbound Call","properties":{"token":"mp-token","distinct_id":"\u002B442071838750","time":1772443800250,"$insert_id":"c1fcf18adbee9d3b337faa8f985529e6","ip":"0","Campaign Id":"spring-radio","Campaign Name":"Spring \u0022radio\u0022 ad","Tracking Number":"\u002B14155550100","Outcome":"Answered","Answered":true,"Call Duration":95,"Talk Duration":83,"Cost":0.01780001,"Currency":"EUR","Caller Country":"GB","Caller Region":"London","Caller Carrier":"Vodafone UK","Caller Line Type":"mobile","First Time Caller":false,"Withheld Caller":false,"Recorded":true,"Start Time":"2026-03-02T09:30:00.250Z","End Time":"2026-03-02T09:31:35.250Z","Conversation UUID":"CON-11111111-2222-3333-4444-555555555555"}}
            """,
            MixpanelEventSink.BuildEvent(call, "mp-token").ToJsonString());
        Assert.Equal(
            """
            [{"$token":"mp-token","$distinct_id":"\u002B442071838750","$time":1772443800,"$ip":"0","$set":{"$phone":"\u002B442071838750","Country":"GB","Region":"London","Carrier":"Vodafone UK","Line Type":"mobile","Last Campaign":"Spring \u0022radio\u0022 ad","Number of Calls":3,"First Call":"2026-01-05T08:00:00.000Z","Last Call":"2026-03-02T09:30:00.250Z"}},{"$token":"mp-token","$distinct_id":"\u002B442071838750","$time":1772443800,"$ip":"0","$union":{"Call Ids":["CON-11111111-2222-3333-4444-555555555555"],"$transactions":[{"$amount":-0.01780001,"$time":"2026-03-02T09:30:00","Call":"CON-11111111-2222-3333-4444-555555555555"}]}}]
            """,
            MixpanelPeopleSink.BuildUpdates(call, "mp-token", new CallerProfile("+442071838750", new DateTimeOffset(2026, 1, 5, 8, 0, 0, TimeSpan.Zero),
                Start, 3, "CON-11111111-2222-3333-4444-555555555555", null)).ToJsonString());
        Assert.Equal(
            """
            {"userId":"\u002B442071838750","event":"Inbound Call","properties":{"campaignId":"spring-radio","campaignName":"Spring \u0022radio\u0022 ad","trackingNumber":"\u002B14155550100","outcome":"Answered","callDuration":95,"talkDuration":83,"cost":0.01780001,"currency":"EUR","callerCountry":"GB","callerRegion":"London","callerCarrier":"Vodafone UK","callerLineType":"mobile","firstTimeCaller":false,"recorded":true,"conversationUuid":"CON-11111111-2222-3333-4444-555555555555"},"timestamp":"2026-03-02T09:30:00.250Z","messageId":"inbound-call-CON-11111111-2222-3333-4444-555555555555","context":{"library":{"name":"CallTracking"}}}
            """,
            SegmentSink.BuildTrack(call).ToJsonString());
        Assert.Equal(
            """
            CampaignId=1234&MediaId=567890&ActionTrackerId=42&EventDate=2026-03-02T09%3A30%3A00Z&CallProvider=CallTracking&CallSessionId=CON-11111111-2222-3333-4444-555555555555&VendorEventId=CON-11111111-2222-3333-4444-555555555555&CallerId=442071838750&CalledPhoneNumber=4155550100&CallDuration=95&TalkDuration=83&CallStatus=ANSWER&RepeatCaller=Repeat&PhoneType=Mobile&CallerPhoneNumberCountry=GB&CalledPhoneNumberCountry=US&Region=London&CallRecording=https%3A%2F%2Fapi.nexmo.com%2Fv1%2Ffiles%2Faaaaaaaa-bbbb-cccc-dddd-0123456789ab
            """,
            await new FormUrlEncodedContent(ImpactSink.BuildForm(call, "CallTracking")).ReadAsStringAsync());
    }

    [Fact]
    public void A_withheld_caller_who_hung_up_while_the_agent_rang_on_an_unknown_number()
    {
        var call = Forwarded(new CallRecord
        {
            PartitionKey = "CON-66666666-7777-8888-9999-000000000000",
            TrackingNumber = "+14155550123",
            Route = "connect",
            AnsweredAt = Start,
            InboundStartTime = Start,
            InboundEndTime = Start.AddSeconds(21),
            InboundDurationSeconds = 21,
            InboundPrice = 0.00157500,
            AgentLegUuid = "agent-leg",
            AgentStatus = "cancelled",
            CompletedAt = Start.AddSeconds(21),
            Outcome = "Abandoned",
            TalkSeconds = 0,
            CallSeconds = 21,
            CarrierCost = 0.001575,
            CallerLineType = "unknown",
            EnrichmentProvider = "none",
            EnrichmentCost = 0,
            ProcessedAt = Start.AddMinutes(1),
        }, campaign: null);

        Assert.Equal(
            """
            {"event":"Inbound Call","properties":{"token":"mp-token","distinct_id":"withheld-CON-66666666-7777-8888-9999-000000000000","time":1772443800250,"$insert_id":"caab0cd59040e6cf3423445539849e32","ip":"0","Tracking Number":"\u002B14155550123","Outcome":"Abandoned","Answered":false,"Call Duration":21,"Talk Duration":0,"Cost":0.001575,"Currency":"EUR","Caller Line Type":"unknown","Withheld Caller":true,"Recorded":false,"Start Time":"2026-03-02T09:30:00.250Z","End Time":"2026-03-02T09:30:21.250Z","Conversation UUID":"CON-66666666-7777-8888-9999-000000000000"}}
            """,
            MixpanelEventSink.BuildEvent(call, "mp-token").ToJsonString());
        Assert.Equal(
            """
            {"anonymousId":"withheld-CON-66666666-7777-8888-9999-000000000000","event":"Inbound Call","properties":{"trackingNumber":"\u002B14155550123","outcome":"Abandoned","callDuration":21,"talkDuration":0,"cost":0.001575,"currency":"EUR","callerLineType":"unknown","recorded":false,"conversationUuid":"CON-66666666-7777-8888-9999-000000000000"},"timestamp":"2026-03-02T09:30:00.250Z","messageId":"inbound-call-CON-66666666-7777-8888-9999-000000000000","context":{"library":{"name":"CallTracking"}}}
            """,
            SegmentSink.BuildTrack(call).ToJsonString());
    }

    private static ForwardedCall Forwarded(CallRecord stored, Campaign? campaign) => new(ProcessedCallMapper.From(stored)!, campaign);
}
