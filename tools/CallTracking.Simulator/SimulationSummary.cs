using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CallTracking.Simulator;

/// <summary>What the simulator sent, in a form a test (or a person) can compare with CallTracking's own stats.</summary>
public sealed record SimulationSummary
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public int Seed { get; init; }

    public int Calls { get; init; }

    public int AnswerRequests { get; init; }

    public int FallbackCalls { get; init; }

    /// <summary>Calls whose answer and fallback both failed (Vonage would have dropped them).</summary>
    public int DroppedCalls { get; init; }

    /// <summary>Distinct event webhooks (both legs), duplicates not counted.</summary>
    public int Events { get; init; }

    /// <summary>Extra deliveries of an event or recording already sent.</summary>
    public int Duplicates { get; init; }

    public int ShuffledCalls { get; init; }

    public int Recordings { get; init; }

    public int Whispers { get; init; }

    public int Requests { get; init; }

    public int Retries { get; init; }

    /// <summary>Requests that never got a 2xx (after retries).</summary>
    public int FailedRequests { get; init; }

    public double ElapsedSeconds { get; init; }

    public required IReadOnlyDictionary<SimOutcome, int> Outcomes { get; init; }

    public required CallerSummary Callers { get; init; }

    public required IReadOnlyList<CampaignSummary> Campaigns { get; init; }

    public IReadOnlyDictionary<string, LatencySummary>? Latency { get; init; }

    public IReadOnlyList<string>? SampleErrors { get; init; }

    public required IReadOnlyList<CallSummary> CallList { get; init; }

    /// <summary>The busy-agent / hold-queue calls (<c>--hold-share</c>); their calls are in <see cref="CallList"/> too.</summary>
    public HoldSummary? Hold { get; init; }

    /// <summary>The mix's summary plus the hold scenario's calls (in <see cref="CallList"/>), failures and expected hold counts.</summary>
    public static SimulationSummary From(int seed, SendReport report, HoldReport? hold)
    {
        var mix = From(seed, report);
        return hold is null ? mix : mix with
        {
            Hold = HoldSummary.From(hold),
            FailedRequests = mix.FailedRequests + hold.FailedRequests,
            SampleErrors = (mix.SampleErrors ?? []).Concat(hold.Errors).Take(20).ToList() is { Count: > 0 } all ? all : null,
            CallList = mix.CallList.Concat(hold.Calls.Select(c => new CallSummary(c.ConversationUuid, c.CampaignId, c.Outcome, c.Caller,
                c.InboundUuid, c.AgentUuid, c.CallSeconds, c.TalkSeconds, c.CarrierCost, false, 0, false, 0))).ToList(),
        };
    }

    /// <summary>Callback attempts the app placed through the simulator's Voice API (null when it was not running).</summary>
    public CallbackPlaySummary? Callbacks { get; init; }

    /// <summary>This summary with the callback attempts played, per campaign (by tracking number).</summary>
    public SimulationSummary WithCallbacks(IReadOnlyList<SimCallbackAttempt> attempts, IReadOnlyList<SimCampaign> campaigns)
    {
        var byTracking = campaigns.GroupBy(c => c.TrackingDigits, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Id, StringComparer.Ordinal);
        return this with
        {
            Callbacks = new CallbackPlaySummary(
                attempts.Count,
                attempts.Count(a => a.Answered),
                attempts.Sum(a => a.FailedEvents),
                attempts.GroupBy(a => byTracking.GetValueOrDefault(a.Request.TrackingDigits) ?? "+" + a.Request.TrackingDigits, StringComparer.Ordinal)
                    .OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => new CampaignCallbackSummary(g.Key, g.Count(), g.Count(a => a.Answered)))
                    .ToList(),
                attempts.Select(a => new CallbackAttemptSummary(a.ConversationUuid, byTracking.GetValueOrDefault(a.Request.TrackingDigits),
                    "+" + a.Request.CallerDigits, a.Answered)).ToList()),
        };
    }

    public static SimulationSummary From(int seed, SendReport report)
    {
        var results = report.Calls;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var repeat = 0;
        foreach (var result in results.OrderBy(r => r.Call.Index))
        {
            if (result.Call.CallerDigits is { } caller && !seen.Add(caller))
            {
                repeat++;
            }
        }

        return new SimulationSummary
        {
            Seed = seed,
            Calls = results.Count,
            AnswerRequests = results.Count,
            FallbackCalls = results.Count(r => r.UsedFallback),
            DroppedCalls = results.Count(r => r.AnswerFailed),
            Events = results.Sum(r => r.Plan.Timeline.Count(d => d.Kind == DeliveryKind.Event)),
            Duplicates = results.Sum(r => r.DuplicatesSent),
            ShuffledCalls = results.Count(r => r.Plan.Shuffled),
            Recordings = results.Sum(r => r.Recordings),
            Whispers = results.Sum(r => r.Whispers),
            Requests = results.Sum(r => r.Requests),
            Retries = results.Sum(r => r.Retries),
            FailedRequests = results.Sum(r => r.FailedRequests),
            ElapsedSeconds = Math.Round(report.Elapsed.TotalSeconds, 2),
            Outcomes = CountOutcomes(results),
            Callers = new CallerSummary(seen.Count, results.Count(r => r.Call.Withheld), seen.Count, repeat),
            Campaigns = results.GroupBy(r => r.Call.Campaign.Id, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new CampaignSummary(
                    g.Key,
                    g.Count(),
                    CountOutcomes(g),
                    g.Sum(r => r.Plan.TalkSeconds),
                    g.Sum(r => r.Plan.CallSeconds),
                    g.Sum(r => r.Plan.CarrierCost),
                    g.Sum(r => r.Recordings),
                    g.Count(r => r.Call.Withheld),
                    g.Select(r => r.Call.CallerDigits).OfType<string>().Distinct(StringComparer.Ordinal).Count()))
                .ToList(),
            Latency = report.Latency,
            SampleErrors = results.SelectMany(r => r.Errors).Take(20).ToList() is { Count: > 0 } errors ? errors : null,
            CallList = results.OrderBy(r => r.Call.Index).Select(r => new CallSummary(
                r.Call.ConversationUuid,
                r.Call.Campaign.Id,
                r.Plan.Outcome,
                r.Call.CallerDigits is null ? null : "+" + r.Call.CallerDigits,
                r.Call.InboundUuid,
                r.Plan.Outcome == SimOutcome.NotConnected ? null : r.Call.AgentUuid,
                r.Plan.CallSeconds,
                r.Plan.TalkSeconds,
                r.Plan.CarrierCost,
                r.Recordings > 0,
                r.DuplicatesSent,
                r.Plan.Shuffled,
                r.FailedRequests)).ToList(),
        };
    }

    private static Dictionary<SimOutcome, int> CountOutcomes(IEnumerable<CallResult> results) =>
        results.GroupBy(r => r.Plan.Outcome).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static SimulationSummary FromJson(string json) =>
        JsonSerializer.Deserialize<SimulationSummary>(json, JsonOptions) ?? throw new FormatException("Empty summary.");

    /// <summary>A plain-text report for the console.</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"Simulated {Calls} calls (seed {Seed}) in {ElapsedSeconds:0.0} s: {Requests} requests, {Events} events, " +
                           $"{Duplicates} duplicates, {ShuffledCalls} shuffled calls, {Recordings} recordings, {Whispers} whispers, " +
                           $"{Retries} retries, {FailedRequests} failed requests, {FallbackCalls} fallbacks, {DroppedCalls} dropped.");
        text.AppendLine(c, $"Callers: {Callers.Distinct} distinct, {Callers.RepeatCalls} repeat calls, {Callers.WithheldCalls} withheld.");
        var outcomes = Enum.GetValues<SimOutcome>();
        // Each outcome column at least one wider than its name, so long names never run together.
        var widths = outcomes.ToDictionary(o => o, o => Math.Max(13, JsonNamingPolicy.CamelCase.ConvertName(o.ToString()).Length + 1));
        text.Append(c, $"{"campaign",-28}{"calls",7}");
        foreach (var outcome in outcomes)
        {
            text.Append(JsonNamingPolicy.CamelCase.ConvertName(outcome.ToString()).PadLeft(widths[outcome]));
        }

        text.AppendLine(c, $"{"talk s",9}{"cost EUR",13}");
        foreach (var campaign in Campaigns)
        {
            text.Append(c, $"{campaign.CampaignId,-28}{campaign.Calls,7}");
            foreach (var outcome in outcomes)
            {
                text.Append(campaign.Outcomes.GetValueOrDefault(outcome).ToString(c).PadLeft(widths[outcome]));
            }

            text.AppendLine(c, $"{campaign.TalkSeconds,9}{campaign.CarrierCost,13:0.00000000}");
        }

        if (Hold is { } hold)
        {
            text.AppendLine(c, $"Hold: {hold.Calls} calls, {hold.Held} held, {hold.AnsweredAfterHold} answered after hold, {hold.AbandonedOnHold} abandoned on hold, " +
                               $"{hold.Transfers} transfers ({hold.TransferredTwice} legs twice, {hold.TransfersOfHungUpCallers} of hung-up callers), " +
                               $"{hold.LeftWaiting} left waiting, {hold.ConnectWhileBusy} connects while busy.");
            foreach (var campaign in hold.Campaigns)
            {
                text.AppendLine(c, $"  {campaign.CampaignId,-26}{campaign.Calls,7} calls, {campaign.Held} held, {campaign.AnsweredAfterHold} answered after hold, " +
                                   $"{campaign.AbandonedOnHold} abandoned on hold");
            }
        }

        if (Callbacks is { } callbacks)
        {
            text.AppendLine(c, $"Callbacks: {callbacks.Attempted} attempts placed by the app, {callbacks.Connected} connected (agent answered, caller connected), " +
                               $"{callbacks.Attempted - callbacks.Connected} not answered, {callbacks.FailedEvents} events not accepted.");
            foreach (var campaign in callbacks.Campaigns)
            {
                text.AppendLine(c, $"  {campaign.CampaignId,-26}{campaign.Attempted,7} attempted{campaign.Connected,7} connected");
            }
        }

        foreach (var (kind, latency) in Latency ?? new Dictionary<string, LatencySummary>())
        {
            text.AppendLine(c, $"latency {kind,-10} n={latency.Count,-6} p50={latency.P50:0.0} ms  p90={latency.P90:0.0} ms  p99={latency.P99:0.0} ms  max={latency.Max:0.0} ms");
        }

        foreach (var error in SampleErrors ?? [])
        {
            text.AppendLine("error: " + error);
        }

        return text.ToString();
    }
}

/// <summary>
/// What the hold scenario should leave in CallTracking's stats (<c>hold</c> block), and what the simulator's Voice API
/// saw: no leg transferred twice, none of a caller who hung up, none left waiting, no connect while the agent was busy.
/// </summary>
public sealed record HoldSummary(
    int Calls,
    int Held,
    int AnsweredAfterHold,
    int AbandonedOnHold,
    int Transfers,
    int TransferredTwice,
    int TransfersOfHungUpCallers,
    int LeftWaiting,
    int ConnectWhileBusy,
    IReadOnlyList<HoldCampaignSummary> Campaigns)
{
    /// <summary>Every waiting caller transferred exactly once, none after hanging up, none connected while the agent was busy.</summary>
    [JsonIgnore]
    public bool Clean => TransferredTwice == 0 && TransfersOfHungUpCallers == 0 && LeftWaiting == 0 && ConnectWhileBusy == 0;

    public static HoldSummary From(HoldReport report) => new(
        report.Calls.Count,
        report.Calls.Count(c => c.Held),
        report.Calls.Count(c => c.Outcome == SimOutcome.AnsweredAfterHold),
        report.Calls.Count(c => c.Outcome == SimOutcome.AbandonedOnHold),
        report.Transfers,
        report.TransferredTwice,
        report.TransfersOfHungUpCallers,
        report.LeftWaiting,
        report.ConnectWhileBusy,
        report.Calls.GroupBy(c => c.CampaignId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new HoldCampaignSummary(g.Key, g.Count(), g.Count(c => c.Held), g.Count(c => c.Outcome == SimOutcome.AnsweredAfterHold),
                g.Count(c => c.Outcome == SimOutcome.AbandonedOnHold)))
            .ToList());
}

public sealed record HoldCampaignSummary(string CampaignId, int Calls, int Held, int AnsweredAfterHold, int AbandonedOnHold);

public sealed record CallbackPlaySummary(
    int Attempted,
    int Connected,
    int FailedEvents,
    IReadOnlyList<CampaignCallbackSummary> Campaigns,
    IReadOnlyList<CallbackAttemptSummary> AttemptList);

public sealed record CampaignCallbackSummary(string CampaignId, int Attempted, int Connected);

/// <summary>One attempt as played: its conversation (the app's call id for it), campaign, caller (E.164), and whether it connected.</summary>
public sealed record CallbackAttemptSummary(string ConversationUuid, string? CampaignId, string Caller, bool Connected);

public sealed record CallerSummary(int Distinct, int WithheldCalls, int FirstTimeCalls, int RepeatCalls);

public sealed record CampaignSummary(
    string CampaignId,
    int Calls,
    IReadOnlyDictionary<SimOutcome, int> Outcomes,
    int TalkSeconds,
    int CallSeconds,
    decimal CarrierCost,
    int Recordings,
    int WithheldCalls,
    int DistinctCallers);

/// <summary>One call as sent. <see cref="Caller"/> is E.164 with '+' (null when withheld), as CallTracking stores it.</summary>
public sealed record CallSummary(
    string ConversationUuid,
    string CampaignId,
    SimOutcome Outcome,
    string? Caller,
    string InboundUuid,
    string? AgentUuid,
    int CallSeconds,
    int TalkSeconds,
    decimal CarrierCost,
    bool Recorded,
    int Duplicates,
    bool Shuffled,
    int FailedRequests);
