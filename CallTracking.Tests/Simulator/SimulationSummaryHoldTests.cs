using CallTracking.Simulator;
using Xunit;

namespace CallTracking.Tests.Simulator;

public class SimulationSummaryHoldTests
{
    private static readonly HoldReport Report = new(
    [
        new("CON-1", "sales-a", SimOutcome.Answered, "+447700900001", "in-1", "ag-1", 126, 120, 0.02m, Held: false),
        new("CON-2", "sales-a", SimOutcome.AnsweredAfterHold, "+447700900002", "in-2", "ag-2", 250, 40, 0.03m, Held: true),
        new("CON-3", "sales-b", SimOutcome.AbandonedOnHold, "+447700900003", "in-3", null, 60, 0, 0.005m, Held: true),
    ], Transfers: 1, TransferredTwice: 0, TransfersOfHungUpCallers: 0, LeftWaiting: 0, ConnectWhileBusy: 0, FailedRequests: 0, Errors: []);

    [Fact]
    public void Hold_calls_join_the_call_list_and_the_hold_block_counts_them_per_campaign()
    {
        var summary = SimulationSummary.From(1, new SendReport([], new Dictionary<string, LatencySummary>(), TimeSpan.Zero), Report);

        Assert.Equal(["CON-1", "CON-2", "CON-3"], summary.CallList.Select(c => c.ConversationUuid));
        var hold = Assert.IsType<HoldSummary>(summary.Hold);
        Assert.True(hold.Clean);
        Assert.Equal((3, 2, 1, 1), (hold.Calls, hold.Held, hold.AnsweredAfterHold, hold.AbandonedOnHold));
        Assert.Equal([new HoldCampaignSummary("sales-a", 2, 1, 1, 0), new HoldCampaignSummary("sales-b", 1, 1, 0, 1)], hold.Campaigns);
        Assert.False((hold with { LeftWaiting = 1 }).Clean);
        Assert.False((hold with { TransferredTwice = 1 }).Clean);
    }

    [Fact]
    public void The_text_keeps_long_outcome_columns_apart_and_prints_the_hold_block()
    {
        var text = SimulationSummary.From(1, new SendReport([], new Dictionary<string, LatencySummary>(), TimeSpan.Zero), Report).ToText();

        Assert.Contains(" notConnected answeredAfterHold abandonedOnHold", text, StringComparison.Ordinal);
        Assert.Contains("Hold: 3 calls, 2 held, 1 answered after hold, 1 abandoned on hold, 1 transfers", text, StringComparison.Ordinal);
        Assert.Contains("sales-b", text, StringComparison.Ordinal);
    }

    [Fact]
    public void One_run_with_hold_calls_and_callbacks_has_both_blocks_in_the_text_and_the_json()
    {
        var callback = new SimCallbackAttempt(new CreateCallRequest("447700900604", "442079460104", "447700900123", null), "leg-1", "CON-CB-1",
            Answered: true, DateTimeOffset.UnixEpoch);
        SimCampaign[] campaigns = [new() { Id = "cb", TrackingNumber = "+442079460104", AgentNumber = "+447700900604" }];
        var summary = SimulationSummary.From(1, new SendReport([], new Dictionary<string, LatencySummary>(), TimeSpan.Zero), Report)
            .WithCallbacks([callback], campaigns);

        var text = summary.ToText();
        Assert.Contains("Hold: 3 calls, 2 held", text, StringComparison.Ordinal);
        Assert.Contains("Callbacks: 1 attempts placed by the app, 1 connected", text, StringComparison.Ordinal);
        var json = SimulationSummary.FromJson(summary.ToJson());
        Assert.Equal(3, json.Hold!.Calls);
        Assert.Equal([new CampaignCallbackSummary("cb", 1, 1)], json.Callbacks!.Campaigns);
    }
}
