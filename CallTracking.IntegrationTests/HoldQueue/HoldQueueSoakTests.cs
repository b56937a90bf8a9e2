using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Tests.Calls;
using CallTracking.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace CallTracking.Tests.HoldQueue;

/// <summary>
/// The hold queue under load, through the local host: two busy agents shared by three campaigns, a crowd of callers
/// put on hold, some hanging up while waiting, the rest transferred one by one as the agents' calls end (the test
/// plays Vonage: on each transfer it sends the transferred leg's events in its new conversation, some twice).
/// Proves: no caller transferred twice, none left on hold, first come first served per agent, and every call counted
/// once with its hold outcome (ledger, no call for a moved conversation, stats).
/// </summary>
[Collection(HoldQueueHostCollection.Name)]
public class HoldQueueSoakTests(HoldQueueHostFixture host, ITestOutputHelper output) : HoldQueueScenario(host, host.VoiceApi)
{
    private const int Callers = 24;

    [Fact]
    public async Task Hold_queue_soak_transfers_each_waiting_caller_exactly_once_first_come_first_served_and_counts_every_call_once()
    {
        var random = new Random(14);
        var (x, y) = ("447700960101", "447700960102");
        var campaigns = new[] { ("hold-soak-1", "447700960001", x), ("hold-soak-2", "447700960002", x), ("hold-soak-3", "447700960003", y) };
        foreach (var (id, tracking, agent) in campaigns)
        {
            await PutCampaignAsync(id, tracking, agent, maxWaitSeconds: 3600);
        }

        // Both agents on a call.
        var busy = new[] { new CallEvents("CON-SX-" + Guid.NewGuid(), "447700960001", "447700960900", x),
            new CallEvents("CON-SY-" + Guid.NewGuid(), "447700960003", "447700960901", y) };
        foreach (var call in busy)
        {
            await AnswerAsync(call);
            await EventsAsync(call.Inbound("started", 0), call.Inbound("answered", 0.2), call.AgentLeg("answered", 2));
        }

        // A crowd on hold, in a known order, across the three campaigns.
        var held = new List<CallEvents>();
        for (var i = 0; i < Callers; i++)
        {
            var (_, tracking, agent) = campaigns[random.Next(campaigns.Length)];
            var call = new CallEvents($"CON-H{i:D2}-{Guid.NewGuid()}", tracking, $"4477009611{i:D2}", agent);
            var ncco = await AnswerAsync(call);
            Assert.DoesNotContain(ncco, a => a?["action"]?.GetValue<string>() == "connect");
            await EventAsync(call.Inbound("answered", 0.2 + i));
            held.Add(call);
        }

        // A quarter hang up while waiting (their completed event sometimes twice).
        var hungUp = held.Where((_, i) => i % 4 == 1).ToHashSet();
        await Task.WhenAll(hungUp.Select(async call =>
        {
            var completed = call.Inbound("completed", 40, CallEvents.Billing(0.2, 40, "0.001"));
            await EventAsync(completed);
            if (random.Next(2) == 0)
            {
                await EventAsync(completed);
            }
        }));

        // The agents' calls end at once (with a duplicate); from here on, each transfer is played through.
        await Task.WhenAll(busy.SelectMany(call => new[] { call.AgentLeg("completed", 50), call.AgentLeg("completed", 50), call.Inbound("completed", 50.2) })
            .Select(EventAsync));

        var byLeg = held.ToDictionary(c => c.InboundUuid);
        var played = new HashSet<string>();
        var moved = new ConcurrentBag<string>();
        var expected = held.Count - hungUp.Count;
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (played.Count < expected)
        {
            if (DateTime.UtcNow >= deadline)
            {
                // What the hold queue said, for whoever reads a failed run.
                output.WriteLine(string.Join(Environment.NewLine, Host.Log.Split(Environment.NewLine).Where(l => l.Contains("Hold queue", StringComparison.Ordinal) || l.Contains("Error", StringComparison.Ordinal))));
                Assert.Fail($"only {played.Count} of {expected} waiting callers were transferred");
            }

            var transfers = VoiceApi.Server.Requests.Where(r => r.Method == "PUT" && r.Path.StartsWith("/v1/calls/", StringComparison.Ordinal)).ToList();
            var next = transfers.Select(r => r.Path["/v1/calls/".Length..]).FirstOrDefault(leg => byLeg.ContainsKey(leg) && !played.Contains(leg));
            if (next is null)
            {
                await Task.Delay(100);
                continue;
            }

            played.Add(next);
            var call = byLeg[next];
            var newConversation = "CON-MOVED-" + Guid.NewGuid();
            moved.Add(newConversation);
            var inMoved = new CallEvents(newConversation, call.TrackingNumber, call.Caller, call.Agent);
            var marker = "?call=" + Uri.EscapeDataString(call.ConversationUuid);
            var agentCompleted = inMoved.AgentLeg("completed", 90, CallEvents.Billing(60, 90, "0.01"));
            await EventsAtAsync(marker, inMoved.AgentLeg("answered", 60), agentCompleted);
            if (random.Next(3) == 0)
            {
                await EventsAtAsync(marker, agentCompleted);
            }

            // The caller's own leg ends in the new conversation, without our marker.
            await EventAsync(inMoved.Inbound("completed", 90.5, CallEvents.Billing(0.2, 90.5, "0.002")).Replace(inMoved.InboundUuid, call.InboundUuid, StringComparison.Ordinal));
        }

        var puts = VoiceApi.Server.Requests.Where(r => r.Method == "PUT").Select(r => r.Path["/v1/calls/".Length..]).Where(byLeg.ContainsKey).ToList();
        output.WriteLine($"{held.Count} held, {hungUp.Count} hung up, {puts.Count} transfers");
        Assert.Equal(puts.Count, puts.Distinct().Count());
        Assert.DoesNotContain(puts, leg => hungUp.Contains(byLeg[leg]));
        Assert.Equal(expected, puts.Count);
        foreach (var agent in new[] { x, y })
        {
            // First come, first served per agent, across the campaigns that share it.
            var joined = held.Where(c => c.Agent == agent && !hungUp.Contains(c)).Select(c => c.InboundUuid).ToList();
            Assert.Equal(joined, puts.Where(leg => byLeg[leg].Agent == agent).ToList());
        }

        // Every call processed once with its hold outcome; no call for a moved conversation.
        var calls = Host.Tables.GetTableClient(StorageNames.CallsTable);
        var ledger = new Dictionary<string, CallRecord>();
        await WaitUntilAsync(async () =>
        {
            foreach (var call in held.Concat(busy))
            {
                var row = await calls.GetEntityIfExistsAsync<CallRecord>(call.ConversationUuid, CallRecord.RowKeyValue);
                if (!row.HasValue || row.Value!.ProcessedAt is null)
                {
                    return false;
                }

                ledger[call.ConversationUuid] = row.Value;
            }

            return true;
        }, TimeSpan.FromSeconds(60));
        foreach (var call in held)
        {
            Assert.Equal(hungUp.Contains(call) ? "AbandonedOnHold" : "AnsweredAfterHold", ledger[call.ConversationUuid].Outcome);
        }

        foreach (var conversation in moved)
        {
            Assert.False((await calls.GetEntityIfExistsAsync<CallRecord>(conversation, CallRecord.RowKeyValue)).HasValue);
        }

        long heldInStats = 0, abandonedInStats = 0, callsInStats = 0;
        foreach (var (id, _, _) in campaigns)
        {
            var stats = await StatsAsync(id);
            callsInStats += (long)stats["calls"]!;
            heldInStats += (long)stats["hold"]!["held"]!;
            abandonedInStats += (long)stats["hold"]!["abandonedOnHold"]!;
        }

        Assert.Equal(held.Count + busy.Length, callsInStats);
        Assert.Equal(held.Count, heldInStats);
        Assert.Equal(hungUp.Count, abandonedInStats);
    }

    private async Task<JsonNode> StatsAsync(string campaign)
    {
        var from = Uri.EscapeDataString(CallEvents.Start.AddDays(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        var to = Uri.EscapeDataString(CallEvents.Start.AddDays(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        JsonNode? stats = null;
        await WaitUntilAsync(async () =>
        {
            var response = await Host.Client.GetAsync(new Uri($"api/campaigns/{campaign}/stats?from={from}&to={to}", UriKind.Relative));
            stats = JsonNode.Parse(await response.Content.ReadAsStringAsync());
            return response.IsSuccessStatusCode && stats?["hold"] is not null;
        }, TimeSpan.FromSeconds(30));
        return stats!;
    }
}
