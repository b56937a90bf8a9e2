using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CallTracking.Simulator;

/// <summary>One call played by <see cref="HoldPlayer"/>, with what CallTracking should record for it.</summary>
public sealed record HoldCallResult(
    string ConversationUuid,
    string CampaignId,
    SimOutcome Outcome,
    string Caller,
    string InboundUuid,
    string? AgentUuid,
    int CallSeconds,
    int TalkSeconds,
    decimal CarrierCost,
    bool Held);

public sealed record HoldReport(
    IReadOnlyList<HoldCallResult> Calls,
    int Transfers,
    int TransferredTwice,
    int TransfersOfHungUpCallers,
    int LeftWaiting,
    int ConnectWhileBusy,
    int FailedRequests,
    IReadOnlyList<string> Errors);

/// <summary>
/// Plays busy agents and hold queues against <c>whenBusy</c> campaigns, per agent number: one call occupies the agent
/// (its agent leg answered, on the answer NCCO's connect <c>eventUrl</c>), the next callers must get the hold NCCO (no
/// <c>connect</c>), a share of them hang up while waiting, then the agent's call ends (its agent leg's
/// <c>completed</c>). From there every transfer the app PUTs to <see cref="SimVoiceApi"/> is played the way Vonage
/// would: the caller leg's <c>transfer</c> event (<c>conversation_uuid_from</c>/<c>_to</c>), the new agent leg in a new
/// conversation on the transfer NCCO's connect <c>eventUrl</c> (it names the original call), then the caller's own
/// leg completing there; each call's end frees the agent for the next transfer. Event timestamps lie in the past,
/// in call order, never in the future.
/// </summary>
public sealed class HoldPlayer(HttpClient http, VonageRequestSigner signer, SimVoiceApi voiceApi)
{
    private const decimal InboundRate = 0.00450000m;
    private const decimal AgentRate = 0.01000000m;
    private const string EventPath = "api/event";
    private int _failed;
    private readonly List<string> _errors = [];

    /// <summary>How long to wait for the next transfer before counting the callers still waiting as left on hold.</summary>
    public TimeSpan TransferTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <param name="calls">Hold-scenario calls in all (occupiers included), spread over the agents of the campaigns.</param>
    public async Task<HoldReport> RunAsync(IReadOnlyList<SimCampaign> campaigns, int calls, int seed, CancellationToken cancellationToken = default)
    {
        var random = new Random(seed);
        var agents = campaigns.Where(c => c.WhenBusy is not null).GroupBy(c => c.AgentDigits, StringComparer.Ordinal).ToList();
        if (agents.Count == 0)
        {
            throw new InvalidOperationException("The hold share needs campaigns with whenBusy (sharing an agent number).");
        }

        var results = new List<HoldCallResult>();
        int transfers = 0, twice = 0, hungUpTransfers = 0, leftWaiting = 0, connectWhileBusy = 0;
        for (var g = 0; g < agents.Count; g++)
        {
            var share = (calls / agents.Count) + (g < calls % agents.Count ? 1 : 0);
            if (share < 2)
            {
                continue; // an occupier and at least one caller who finds the agent busy
            }

            var group = await PlayAgentAsync(agents[g].ToList(), share, random, results.Count, cancellationToken);
            results.AddRange(group.Calls);
            transfers += group.Transfers;
            twice += group.TransferredTwice;
            hungUpTransfers += group.TransfersOfHungUpCallers;
            leftWaiting += group.LeftWaiting;
            connectWhileBusy += group.ConnectWhileBusy;
        }

        lock (_errors)
        {
            return new HoldReport(results, transfers, twice, hungUpTransfers, leftWaiting, connectWhileBusy, _failed, _errors.ToList());
        }
    }

    private async Task<HoldReport> PlayAgentAsync(IReadOnlyList<SimCampaign> campaigns, int count, Random random, int numbering,
        CancellationToken cancellationToken)
    {
        // Timestamps in the past, never in the future: the last transfer's call ends before 300 + 100 s per call.
        var epoch = DateTimeOffset.UtcNow.AddSeconds(-(300 + (100 * count)));
        var calls = Enumerable.Range(0, count).Select(i =>
        {
            var campaign = campaigns[random.Next(campaigns.Count)];
            return new HoldLeg(campaign, "CON-HOLD-" + Guid.NewGuid(), Guid.NewGuid().ToString(),
                "4477009" + (62000 + numbering + i).ToString(CultureInfo.InvariantCulture));
        }).ToList();
        var occupier = calls[0];
        var waiting = calls.Skip(1).ToList();
        var results = new List<HoldCallResult>();
        var connectWhileBusy = 0;

        // 1. The occupier is connected and the agent answers.
        var facts = await AnswerAsync(occupier, cancellationToken);
        if (!facts.Connects)
        {
            Error($"hold occupier {occupier.Conversation}: the answer NCCO did not connect the free agent");
        }

        var agentPath = facts.AgentEventPath ?? EventPath;
        var occupierAgent = Guid.NewGuid().ToString();
        await PostAsync(EventPath, Event(occupier.Conversation, occupier.Inbound, true, occupier, "started", epoch, 0), cancellationToken);
        await PostAsync(EventPath, Event(occupier.Conversation, occupier.Inbound, true, occupier, "answered", epoch, 1), cancellationToken);
        await PostAsync(agentPath, Event(occupier.Conversation, occupierAgent, false, occupier, "started", epoch, 2), cancellationToken);
        await PostAsync(agentPath, Event(occupier.Conversation, occupierAgent, false, occupier, "ringing", epoch, 2.5), cancellationToken);
        await PostAsync(agentPath, Event(occupier.Conversation, occupierAgent, false, occupier, "answered", epoch, 5), cancellationToken);

        // 2. The others find the agent busy: the hold NCCO, never a connect.
        for (var i = 0; i < waiting.Count; i++)
        {
            var call = waiting[i];
            if ((await AnswerAsync(call, cancellationToken)).Connects)
            {
                connectWhileBusy++;
                Error($"hold caller {call.Conversation}: the answer NCCO connects although the agent is busy");
            }

            await PostAsync(EventPath, Event(call.Conversation, call.Inbound, true, call, "started", epoch, 10 + i), cancellationToken);
            await PostAsync(EventPath, Event(call.Conversation, call.Inbound, true, call, "answered", epoch, 10.5 + i), cancellationToken);
        }

        // 3. A quarter hang up while waiting.
        var hungUp = waiting.Where((_, i) => i % 4 == 1).ToHashSet();
        foreach (var call in hungUp)
        {
            var answered = 10.5 + waiting.IndexOf(call);
            var (body, seconds, price) = Completed(call.Conversation, call.Inbound, true, call, epoch, answered, answered + 60, InboundRate);
            await PostAsync(EventPath, body, cancellationToken);
            results.Add(new HoldCallResult(call.Conversation, call.Campaign.Id, SimOutcome.AbandonedOnHold, "+" + call.Caller, call.Inbound,
                null, seconds, 0, price, true));
        }

        // 4. The agent's call ends: the agent is free and the first waiting caller is transferred.
        var (agentEnd, talk, agentPrice) = Completed(occupier.Conversation, occupierAgent, false, occupier, epoch, 5, 125, AgentRate);
        await PostAsync(agentPath, agentEnd, cancellationToken);
        var (inboundEnd, callSeconds, inboundPrice) = Completed(occupier.Conversation, occupier.Inbound, true, occupier, epoch, 1, 125.5, InboundRate);
        await PostAsync(EventPath, inboundEnd, cancellationToken);
        results.Insert(0, new HoldCallResult(occupier.Conversation, occupier.Campaign.Id, SimOutcome.Answered, "+" + occupier.Caller,
            occupier.Inbound, occupierAgent, callSeconds, talk, inboundPrice + agentPrice, false));

        // 5. Play each transfer as it comes; each transferred call's end frees the agent for the next one.
        var byLeg = waiting.ToDictionary(c => c.Inbound, StringComparer.Ordinal);
        var expected = waiting.Count - hungUp.Count;
        var played = new HashSet<string>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + TransferTimeout;
        var step = 0;
        while (played.Count < expected && DateTime.UtcNow < deadline)
        {
            var next = voiceApi.Transfers.FirstOrDefault(t => byLeg.ContainsKey(t.Leg) && !played.Contains(t.Leg));
            if (next is null)
            {
                await Task.Delay(100, cancellationToken);
                continue;
            }

            played.Add(next.Leg);
            deadline = DateTime.UtcNow + TransferTimeout;
            var call = byLeg[next.Leg];
            var answered = 10.5 + waiting.IndexOf(call);
            var at = 200 + (step++ * 100);
            var moved = "CON-MOVED-" + Guid.NewGuid();
            var movedAgent = Guid.NewGuid().ToString();
            var path = TransferAgentEventPath(next.Body) ?? EventPath + "?call=" + Uri.EscapeDataString(call.Conversation);
            var talkSeconds = 20 + random.Next(60);
            // Vonage reports the move on the caller's leg, then plays the transfer NCCO's connect in the new conversation.
            await PostAsync(EventPath, TransferEvent(call, moved, epoch, at - 3), cancellationToken);
            await PostAsync(path, Event(moved, movedAgent, false, call, "started", epoch, at - 2), cancellationToken);
            await PostAsync(path, Event(moved, movedAgent, false, call, "ringing", epoch, at - 1.5), cancellationToken);
            await PostAsync(path, Event(moved, movedAgent, false, call, "answered", epoch, at), cancellationToken);
            var (movedAgentEnd, movedTalk, movedAgentPrice) = Completed(moved, movedAgent, false, call, epoch, at, at + talkSeconds, AgentRate);
            await PostAsync(path, movedAgentEnd, cancellationToken);
            // The caller's own leg ends in the new conversation, without our marker: the app knows it by its uuid.
            var (callerEnd, seconds, price) = Completed(moved, call.Inbound, true, call, epoch, answered, at + talkSeconds + 0.5, InboundRate);
            await PostAsync(EventPath, callerEnd, cancellationToken);
            results.Add(new HoldCallResult(call.Conversation, call.Campaign.Id, SimOutcome.AnsweredAfterHold, "+" + call.Caller, call.Inbound,
                movedAgent, seconds, movedTalk, price + movedAgentPrice, true));
        }

        var puts = voiceApi.Transfers.Where(t => byLeg.ContainsKey(t.Leg)).ToList();
        var twice = puts.GroupBy(t => t.Leg, StringComparer.Ordinal).Count(g => g.Count() > 1);
        var ofHungUp = puts.Count(t => hungUp.Contains(byLeg[t.Leg]));
        var left = expected - played.Count;
        if (left > 0)
        {
            Error($"hold agent {occupier.Campaign.AgentDigits}: {left} of {expected} waiting callers were never transferred");
        }

        return new HoldReport(results, puts.Count, twice, ofHungUp, left, connectWhileBusy, 0, []);
    }

    /// <summary>The agent leg's event URL in the transfer's NCCO (it names the original call), as path and query.</summary>
    private static string? TransferAgentEventPath(string body)
    {
        try
        {
            var ncco = JsonNode.Parse(body)?["destination"]?["ncco"];
            return ncco is JsonArray ? NccoFacts.Parse(ncco.ToJsonString()).AgentEventPath : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<NccoFacts> AnswerAsync(HoldLeg call, CancellationToken cancellationToken)
    {
        var query = new List<KeyValuePair<string, string>>
        {
            new("to", call.Campaign.TrackingDigits), new("from", call.Caller), new("uuid", call.Inbound),
            new("conversation_uuid", call.Conversation), new("endpoint_type", "phone"), new("region_url", "https://api-eu-3.vonage.com"),
        };
        var uri = "api/answer?" + string.Join("&", query.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        var body = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, new Uri(uri, UriKind.Relative));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", signer.SignQuery(query));
            return request;
        }, "answer " + call.Conversation, cancellationToken);
        return body is null ? NccoFacts.None : NccoFacts.Parse(body);
    }

    private Task<string?> PostAsync(string path, byte[] body, CancellationToken cancellationToken) =>
        SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", signer.SignBody(body));
            return request;
        }, "event " + path, cancellationToken);

    /// <summary>Vonage-like retries on network errors, 429 and 5xx.</summary>
    private async Task<string?> SendAsync(Func<HttpRequestMessage> create, string what, CancellationToken cancellationToken)
    {
        string error = "";
        for (var attempt = 1; attempt <= 20; attempt++)
        {
            try
            {
                using var request = create();
                using var response = await http.SendAsync(request, cancellationToken);
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return text;
                }

                error = $"{what}: HTTP {(int)response.StatusCode}";
                if ((int)response.StatusCode is not (429 or >= 500))
                {
                    break;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                error = $"{what}: {ex.GetType().Name}";
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }

        Interlocked.Increment(ref _failed);
        Error(error);
        return null;
    }

    private void Error(string error)
    {
        lock (_errors)
        {
            _errors.Add(error);
        }
    }

    private static byte[] Event(string conversation, string uuid, bool inbound, HoldLeg call, string status, DateTimeOffset epoch, double at,
        Action<Utf8JsonWriter>? extra = null)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("from", inbound ? call.Caller : call.Campaign.TrackingDigits);
            w.WriteString("to", inbound ? call.Campaign.TrackingDigits : call.Campaign.AgentDigits);
            w.WriteString("uuid", uuid);
            w.WriteString("conversation_uuid", conversation);
            w.WriteString("status", status);
            w.WriteString("direction", inbound ? "inbound" : "outbound");
            w.WriteString("timestamp", ScenarioGenerator.Iso(epoch.AddSeconds(at)));
            extra?.Invoke(w);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The <c>transfer</c> event of the caller's leg: it left the original conversation for <paramref name="moved"/>.</summary>
    private static byte[] TransferEvent(HoldLeg call, string moved, DateTimeOffset epoch, double at)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("uuid", call.Inbound);
            w.WriteString("conversation_uuid_from", call.Conversation);
            w.WriteString("conversation_uuid_to", moved);
            w.WriteString("timestamp", ScenarioGenerator.Iso(epoch.AddSeconds(at)));
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>A completed event with its billing summary; returns the whole seconds and the price it bills.</summary>
    private static (byte[] Body, int Seconds, decimal Price) Completed(string conversation, string uuid, bool inbound, HoldLeg call,
        DateTimeOffset epoch, double from, double to, decimal rate)
    {
        var seconds = (int)Math.Round(to - from, MidpointRounding.AwayFromZero);
        var price = ScenarioGenerator.Price(rate, seconds);
        var body = Event(conversation, uuid, inbound, call, "completed", epoch, to, w =>
        {
            w.WriteString("start_time", ScenarioGenerator.Iso(epoch.AddSeconds(from)));
            w.WriteString("end_time", ScenarioGenerator.Iso(epoch.AddSeconds(to)));
            w.WriteString("duration", seconds.ToString(CultureInfo.InvariantCulture));
            w.WriteString("rate", ScenarioGenerator.Money(rate));
            w.WriteString("price", ScenarioGenerator.Money(price));
            w.WriteString("network", inbound ? "GB-FIXED" : "23415");
            w.WriteString("disconnected_by", "user");
        });
        return (body, seconds, price);
    }

    private sealed record HoldLeg(SimCampaign Campaign, string Conversation, string Inbound, string Caller);
}
