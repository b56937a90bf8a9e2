using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CallTracking.Functions.Common;
using CallTracking.Functions.HoldQueue;
using CallTracking.Tests.Calls;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.HoldQueue;

/// <summary>
/// Agent availability is kept only for the agents of <c>whenBusy</c> campaigns (<c>Campaigns/WhenBusyAgents</c>), through
/// the local host, the real worker and Azurite: a campaign without <c>whenBusy</c> costs the event webhook no agent row,
/// yet its calls still make an agent it shares with a <c>whenBusy</c> campaign busy and free; a campaign switched to
/// <c>whenBusy</c> through the admin API is tracked from its next call. Each test uses its own numbers (4477009900xx).
/// </summary>
[Collection(HoldQueueHostCollection.Name)]
public class HoldQueueAgentTrackingTests(HoldQueueHostFixture host) : HoldQueueScenario(host, host.VoiceApi)
{
    [Fact]
    public async Task A_campaign_without_whenBusy_writes_no_agent_row_for_its_answered_and_ended_agent_leg()
    {
        var (tracking, agent) = ("447700990001", "447700990101");
        await PutCampaignWithoutWhenBusyAsync("track-plain", tracking, agent);
        var call = new CallEvents("CON-P-" + Guid.NewGuid(), tracking, "447700990201", agent);
        Assert.Contains(await AnswerAsync(call), x => ActionOf(x) == "connect");

        await EventsAsync(call.Inbound("started", 0), call.Inbound("answered", 0.2), call.AgentLeg("started", 1), call.AgentLeg("answered", 5));
        Assert.Equal("answered", (await CallAsync(call.ConversationUuid)).AgentStatus);
        Assert.Empty(await AgentRowsAsync(agent));

        await EventsAsync(call.AgentLeg("completed", 60, CallEvents.Billing(5, 60, "0.01")), call.Inbound("completed", 60.5));
        Assert.Equal("completed", (await CallAsync(call.ConversationUuid)).AgentStatus);
        Assert.Empty(await AgentRowsAsync(agent));
    }

    [Fact]
    public async Task A_call_of_a_campaign_without_whenBusy_to_a_shared_agent_holds_the_whenBusy_campaigns_caller_until_it_ends()
    {
        var (holding, plain, agent) = ("447700990011", "447700990012", "447700990111");
        await PutCampaignAsync("track-shared-hold", holding, agent, maxWaitSeconds: 600);
        await PutCampaignWithoutWhenBusyAsync("track-shared-plain", plain, agent);

        var onPlain = new CallEvents("CON-SP-" + Guid.NewGuid(), plain, "447700990211", agent);
        Assert.Contains(await AnswerAsync(onPlain), x => ActionOf(x) == "connect");
        await EventsAsync(onPlain.Inbound("answered", 0.2), onPlain.AgentLeg("answered", 5));
        Assert.Equal(onPlain.ConversationUuid, Assert.Single(await AgentRowsAsync(agent)).GetString(nameof(AgentState.BusyCall)));

        var held = new CallEvents("CON-SH-" + Guid.NewGuid(), holding, "447700990212", agent);
        Assert.DoesNotContain(await AnswerAsync(held), x => ActionOf(x) == "connect");
        await EventsAsync(held.Inbound("answered", 0.2));

        await EventAsync(onPlain.AgentLeg("completed", 60, CallEvents.Billing(5, 60, "0.01")));

        var transfer = await SingleTransferAsync(held.InboundUuid);
        Assert.Contains(agent, transfer.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_campaign_switched_to_whenBusy_through_the_admin_api_is_tracked_from_its_next_call()
    {
        var (tracking, agent) = ("447700990021", "447700990121");
        await PutCampaignWithoutWhenBusyAsync("track-switch", tracking, agent);
        var before = new CallEvents("CON-W0-" + Guid.NewGuid(), tracking, "447700990221", agent);
        await AnswerAsync(before);
        // This instance now holds the tracked agents without this one.
        await EventsAsync(before.Inbound("answered", 0.2), before.AgentLeg("answered", 5), before.AgentLeg("completed", 30), before.Inbound("completed", 30.5));
        Assert.Empty(await AgentRowsAsync(agent));

        await PutCampaignAsync("track-switch", tracking, agent, maxWaitSeconds: 600);

        var first = new CallEvents("CON-W1-" + Guid.NewGuid(), tracking, "447700990222", agent);
        Assert.Contains(await AnswerAsync(first), x => ActionOf(x) == "connect");
        await EventsAsync(first.Inbound("answered", 0.2), first.AgentLeg("answered", 5));
        Assert.Equal(first.ConversationUuid, Assert.Single(await AgentRowsAsync(agent)).GetString(nameof(AgentState.BusyCall)));

        var second = new CallEvents("CON-W2-" + Guid.NewGuid(), tracking, "447700990223", agent);
        Assert.DoesNotContain(await AnswerAsync(second), x => ActionOf(x) == "connect");
        await EventsAsync(second.Inbound("answered", 0.2));
        await EventAsync(first.AgentLeg("completed", 60, CallEvents.Billing(5, 60, "0.01")));

        var transfer = await SingleTransferAsync(second.InboundUuid);
        Assert.Contains(agent, transfer.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_agent_marked_busy_by_a_call_that_ended_while_untracked_is_free_for_the_next_caller()
    {
        var (tracking, agent) = ("447700990031", "447700990131");
        await PutCampaignAsync("track-toggle", tracking, agent, maxWaitSeconds: 600);
        var earlier = new CallEvents("CON-T1-" + Guid.NewGuid(), tracking, "447700990231", agent);
        Assert.Contains(await AnswerAsync(earlier), x => ActionOf(x) == "connect");
        await EventsAsync(earlier.Inbound("answered", 0.2), earlier.AgentLeg("answered", 5));
        Assert.Equal(earlier.ConversationUuid, Assert.Single(await AgentRowsAsync(agent)).GetString(nameof(AgentState.BusyCall)));

        // whenBusy switched off while the agent is on that call: its end is no longer counted, the busy mark stays.
        await PutCampaignWithoutWhenBusyAsync("track-toggle", tracking, agent);
        await EventsAsync(earlier.AgentLeg("completed", 60, CallEvents.Billing(5, 60, "0.01")), earlier.Inbound("completed", 60.5));
        Assert.Equal(earlier.ConversationUuid, Assert.Single(await AgentRowsAsync(agent)).GetString(nameof(AgentState.BusyCall)));

        // Switched on again: the next caller is connected, not held behind a call that is over.
        await PutCampaignAsync("track-toggle", tracking, agent, maxWaitSeconds: 600);
        var next = new CallEvents("CON-T2-" + Guid.NewGuid(), tracking, "447700990232", agent);
        Assert.Contains(await AnswerAsync(next), x => ActionOf(x) == "connect");
        Assert.Null(Assert.Single(await AgentRowsAsync(agent)).GetString(nameof(AgentState.BusyCall)));
    }

    private async Task PutCampaignWithoutWhenBusyAsync(string id, string tracking, string agent)
    {
        var campaign = new JsonObject
        {
            ["id"] = id,
            ["name"] = id,
            ["trackingNumber"] = "+" + tracking,
            ["agentNumber"] = "+" + agent,
        };
        using var request = new HttpRequestMessage(HttpMethod.Put, "api/campaigns/" + id) { Content = JsonBody.From(campaign) };
        var response = await Host.Client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"campaign {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The agent's partition: its availability row (and wait-list rows, none here but while someone waits).</summary>
    private async Task<List<TableEntity>> AgentRowsAsync(string agent)
    {
        var rows = new List<TableEntity>();
        var table = Host.Tables.GetTableClient(StorageNames.AgentsTable);
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"+" + agent}")))
        {
            rows.Add(row);
        }

        return rows;
    }
}
