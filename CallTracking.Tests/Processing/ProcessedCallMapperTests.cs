using CallTracking.Functions.Calls;
using CallTracking.Functions.Forwarding;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Reporting;
using Xunit;

namespace CallTracking.Tests.Processing;

public class ProcessedCallMapperTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 30, 0, TimeSpan.Zero);

    /// <summary>A busy agent leg, stored as the processor stores it.</summary>
    private static CallRecord BusyCall() => new()
    {
        PartitionKey = "CON-mapper",
        CampaignId = "spring",
        TrackingNumber = "+14155550100",
        CallerNumber = "+442071838750",
        Route = "connect",
        AnsweredAt = Start,
        InboundLegUuid = "in-1",
        InboundStatus = "completed",
        InboundStartTime = Start,
        InboundEndTime = Start.AddSeconds(30),
        InboundDurationSeconds = 30,
        InboundPrice = 0.00225,
        InboundRate = 0.0045,
        AgentLegUuid = "agent-1",
        AgentStatus = "busy",
        AgentDetail = "busy",
        CompletedAt = Start.AddSeconds(30),
        Outcome = "Busy",
        TalkSeconds = 0,
        CallSeconds = 30,
        CarrierCost = 0.00225,
        FirstTimeCaller = true,
        CallerCountry = "GB",
        CallerLineType = "mobile",
        EnrichmentProvider = "Offline",
        EnrichmentCost = 0,
        ProcessedAt = Start.AddMinutes(1),
    };

    [Theory]
    [InlineData("Busy")]
    [InlineData("busy")]
    [InlineData(" BUSY ")]
    public void A_stored_outcome_is_read_by_its_name_in_any_case(string stored)
    {
        var record = BusyCall();
        record.Outcome = stored;
        record.AgentStatus = "answered"; // the legs now say otherwise: the stored result still wins

        Assert.Equal(CallOutcome.Busy, ProcessedCallMapper.From(record)!.Outcome);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("99")]
    [InlineData("NoSuchOutcome")]
    [InlineData("Answered, Busy")]
    [InlineData("")]
    [InlineData(null)]
    public void An_unreadable_stored_outcome_is_derived_from_the_legs_and_every_consumer_sees_the_same(string? stored)
    {
        var record = BusyCall();
        record.Outcome = stored;
        record.AgentStatus = "timeout";
        record.AgentDetail = null;

        var call = ProcessedCallMapper.From(record)!;

        Assert.Equal(CallOutcome.Timeout, call.Outcome);
        Assert.Equal(CallOutcome.Timeout, CallEntry.From(call).Outcome);
        var mixpanel = MixpanelEventSink.BuildEvent(new ForwardedCall(call, null), "token")["properties"]!;
        Assert.Equal("Timeout", mixpanel["Outcome"]!.GetValue<string>());
        Assert.Equal("INCOMPLETE", ImpactSink.CallStatusOf(call.Outcome));
    }

    [Fact]
    public void Money_is_the_stored_amount_exactly_in_decimal()
    {
        var record = BusyCall();
        record.CarrierCost = 0.01780001;
        record.InboundPrice = 0.0095;
        record.AgentPrice = 0.00830001;
        record.AgentRate = 0.0072;
        record.EnrichmentCost = 0.03;

        var call = ProcessedCallMapper.From(record)!;

        Assert.Equal(0.01780001m, call.CarrierCost);
        Assert.Equal(0.0095m, call.CallerLeg.Price);
        Assert.Equal(0.00830001m, call.AgentLeg.Price);
        Assert.Equal(0.0072m, call.AgentLeg.Rate);
        Assert.Equal(0.03m, call.EnrichmentCost);
        Assert.Null(ProcessedCallMapper.ToMoney(double.NaN));
    }

    [Fact]
    public void Half_a_micro_euro_rounds_away_from_zero_in_reports_whatever_the_double_holds()
    {
        var record = BusyCall();
        record.CarrierCost = 0.0001245; // as a double, times 1e6 is 124.49999999999999

        Assert.Equal(125, CallEntry.From(ProcessedCallMapper.From(record)!).CarrierCostMicros);
    }

    [Fact]
    public void Results_missing_from_a_processed_row_are_derived_from_the_legs_as_the_processor_would()
    {
        var record = BusyCall();
        record.TalkSeconds = null;
        record.CallSeconds = null;
        record.CarrierCost = null;

        var call = ProcessedCallMapper.From(record)!;

        var classified = CallOutcomeClassifier.Classify(record);
        Assert.Equal((classified.TalkSeconds, classified.CallSeconds, classified.CarrierCost), (call.TalkSeconds, call.CallSeconds, call.CarrierCost));
        Assert.Equal((0, 30, 0.00225m), (call.TalkSeconds, call.CallSeconds, call.CarrierCost));
    }

    [Fact]
    public void A_row_without_stored_results_is_not_a_processed_call()
    {
        var record = BusyCall();
        record.ProcessedAt = null;

        Assert.Null(ProcessedCallMapper.From(record));
    }

    [Fact]
    public void A_call_whose_start_was_never_recorded_is_filed_at_its_processing_time_by_reports_and_sinks_alike()
    {
        var record = BusyCall();
        record.InboundStartTime = null;
        record.AnsweredAt = null;
        record.CompletedAt = null;

        var call = ProcessedCallMapper.From(record)!;

        Assert.Equal(record.ProcessedAt, call.StartedAt);
        Assert.Equal(record.ProcessedAt, CallEntry.From(call).Start);
        Assert.Equal(record.ProcessedAt!.Value.ToUnixTimeMilliseconds(),
            MixpanelEventSink.BuildEvent(new ForwardedCall(call, null), "token")["properties"]!["time"]!.GetValue<long>());
    }

    [Fact]
    public void Results_written_to_the_ledger_row_read_back_as_the_same_call()
    {
        var record = BusyCall();
        record.Outcome = null;
        record.TalkSeconds = null;
        record.CallSeconds = null;
        record.CarrierCost = null;
        record.FirstTimeCaller = null;
        record.CallerCountry = null;
        record.CallerLineType = null;
        record.EnrichmentProvider = null;
        record.EnrichmentCost = null;
        record.ProcessedAt = null;
        var results = ProcessedCallMapper.Classify(record, Start.AddMinutes(2)) with
        {
            FirstTimeCaller = false,
            CallerCountry = "GB",
            CallerRegion = "London",
            CallerCarrier = "BT",
            CallerLineType = "landline",
            EnrichmentProvider = "NumberInsightAdvanced",
            EnrichmentCost = 0.03m,
        };

        ProcessedCallMapper.WriteResults(results, record);

        Assert.Equal(results, ProcessedCallMapper.From(record));
        Assert.Equal(("Busy", 0, 30, 0.00225, 0.03), (record.Outcome, record.TalkSeconds, record.CallSeconds, record.CarrierCost, record.EnrichmentCost));
    }

    [Fact]
    public void Without_an_enrichment_stage_the_caller_columns_stay_unset()
    {
        var record = BusyCall();
        record.CallerCountry = null;
        record.CallerLineType = null;
        record.EnrichmentProvider = null;
        record.EnrichmentCost = null;
        record.ProcessedAt = null;

        ProcessedCallMapper.WriteResults(ProcessedCallMapper.Classify(record, Start.AddMinutes(2)), record);

        Assert.Equal((null, null, null, (double?)null), (record.CallerCountry, record.CallerLineType, record.EnrichmentProvider, record.EnrichmentCost));
        Assert.Equal(Start.AddMinutes(2), record.ProcessedAt);
    }
}
