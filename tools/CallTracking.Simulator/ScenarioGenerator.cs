using System.Globalization;
using System.Text.Json;

namespace CallTracking.Simulator;

public sealed record GeneratorOptions
{
    public int Seed { get; init; } = 42;

    /// <summary>Fraction of events and recordings delivered twice.</summary>
    public double DuplicateFraction { get; init; }

    /// <summary>Fraction of calls whose deliveries are sent in a random order.</summary>
    public double ShuffleFraction { get; init; }

    /// <summary>Calls per second the calls are spread over (simulated start times).</summary>
    public double CallsPerSecond { get; init; } = 20;

    /// <summary>
    /// When call 0 is sent. Each call's timeline is placed so that its last request is not later than its own
    /// send slot: timestamps stay truthful (never in the future) although events are sent faster than they happened.
    /// </summary>
    public DateTimeOffset Epoch { get; init; } = DateTimeOffset.UnixEpoch.AddYears(56);

    /// <summary>Host of recording URLs (Vonage's file API); a test may point it at a stub.</summary>
    public string RecordingBaseUrl { get; init; } = "https://api-us.nexmo.com/v1/files/";

    /// <summary>Fraction of callers that withhold their number.</summary>
    public double WithheldFraction { get; init; } = 0.06;
}

/// <summary>
/// Deterministic (per seed) generator of realistic Vonage call sequences for both legs of an inbound call.
/// Outcomes: answered (short and long talks), busy, unanswered, timeout, rejected, failed, caller abandons.
/// </summary>
public sealed class ScenarioGenerator(GeneratorOptions options)
{
    // Relative weights of the planned outcomes (answered short and long share Answered).
    private static readonly (SimOutcome Outcome, bool LongTalk, int Weight)[] Mix =
    [
        (SimOutcome.Answered, false, 30), (SimOutcome.Answered, true, 18), (SimOutcome.Busy, false, 9),
        (SimOutcome.Unanswered, false, 11), (SimOutcome.Timeout, false, 6), (SimOutcome.Rejected, false, 5),
        (SimOutcome.Failed, false, 5), (SimOutcome.Abandoned, false, 12),
    ];

    private static readonly decimal[] AgentRates = [0.00720000m, 0.01400000m, 0.00850000m];
    private const decimal InboundRate = 0.00450000m;
    private const double RecordingBytesPerSecond = 4000; // 32 kbps MP3

    private readonly Random _random = new(options.Seed);

    public IReadOnlyList<SimulatedCall> Generate(IReadOnlyList<SimCampaign> campaigns, int calls)
    {
        if (campaigns.Count == 0)
        {
            throw new ArgumentException("At least one campaign is needed.", nameof(campaigns));
        }

        var callers = CallerPool.Create(_random, Math.Max(3, (int)(calls * 0.4)));
        var result = new List<SimulatedCall>(calls);
        for (var i = 0; i < calls; i++)
        {
            result.Add(NextCall(i, campaigns[_random.Next(campaigns.Count)], callers));
        }

        return result;
    }

    private SimulatedCall NextCall(int index, SimCampaign campaign, CallerPool callers)
    {
        var conversation = "CON-" + NextUuid();
        var inbound = NextUuid();
        var agent = NextUuid();
        var caller = callers.Pick(_random);
        string? from = caller;
        if (_random.NextDouble() < options.WithheldFraction)
        {
            caller = null;
            from = _random.Next(2) == 0 ? null : "Unknown";
        }

        var (outcome, longTalk) = PickOutcome();
        var agentRate = AgentRates[Math.Abs(StringComparer.Ordinal.GetHashCode(campaign.Id) % AgentRates.Length)];
        var ids = new CallIds(campaign, conversation, inbound, agent, from);
        var shuffle = _random.NextDouble() < options.ShuffleFraction;

        var connected = BuildConnected(ids, outcome, longTalk, agentRate);
        var notConnected = BuildNotConnected(ids);

        // Place the call so that its last request is not after its send slot (timestamps never in the future).
        var slot = options.Epoch + TimeSpan.FromSeconds(index / options.CallsPerSecond);
        var startedAt = slot - connected.Length;
        var query = new List<KeyValuePair<string, string>> { new("to", campaign.TrackingDigits) };
        if (from is not null)
        {
            query.Add(new("from", from));
        }

        query.Add(new("uuid", inbound));
        query.Add(new("conversation_uuid", conversation));
        query.Add(new("endpoint_type", "phone"));
        query.Add(new("region_url", "https://api-eu-3.vonage.com"));

        return new SimulatedCall
        {
            Index = index,
            Campaign = campaign,
            ConversationUuid = conversation,
            InboundUuid = inbound,
            AgentUuid = agent,
            CallerDigits = caller,
            FromField = from,
            StartedAt = startedAt,
            AnswerQuery = query,
            Connected = Finish(connected, startedAt, shuffle),
            NotConnected = Finish(notConnected, startedAt + (connected.Length - notConnected.Length), shuffle),
        };
    }

    private (SimOutcome, bool) PickOutcome()
    {
        var total = Mix.Sum(m => m.Weight);
        var pick = _random.Next(total);
        foreach (var (outcome, longTalk, weight) in Mix)
        {
            if (pick < weight)
            {
                return (outcome, longTalk);
            }

            pick -= weight;
        }

        throw new InvalidOperationException("unreachable");
    }

    /// <summary>The agent is dialled. Offsets are seconds from the caller's <c>started</c>.</summary>
    private Draft BuildConnected(CallIds ids, SimOutcome outcome, bool longTalk, decimal agentRate)
    {
        var draft = new Draft(ids, outcome);
        var ringing = Between(0.05, 0.4);
        var answered = ringing + Between(0.3, 1.5);
        draft.Event(CallLeg.Inbound, "started", 0);
        draft.Event(CallLeg.Inbound, "ringing", ringing);
        draft.Event(CallLeg.Inbound, "answered", answered, AnsweredFields);

        var dialAgent = answered + Between(2, 6); // after the recording notice
        draft.Event(CallLeg.Agent, "started", dialAgent);
        double inboundEnd;
        switch (outcome)
        {
            case SimOutcome.Answered:
                {
                    var agentRinging = dialAgent + Between(0.2, 1);
                    var agentAnswered = agentRinging + Between(2, 18);
                    var talk = longTalk ? _random.Next(120, 900) : _random.Next(5, 45);
                    var agentEnd = agentAnswered + talk + Between(0, 0.9);
                    draft.Event(CallLeg.Agent, "ringing", agentRinging);
                    draft.Event(CallLeg.Agent, "answered", agentAnswered, AnsweredFields);
                    draft.Whisper(agentAnswered + 0.05);
                    draft.TalkSeconds = talk;
                    draft.AgentPrice = Price(agentRate, talk);
                    draft.Completed(CallLeg.Agent, agentEnd, agentAnswered, talk, agentRate, "23415");
                    // Either side may hang up first; the other leg follows within a moment.
                    inboundEnd = agentEnd + Between(-0.3, 0.5);
                    break;
                }

            case SimOutcome.Busy:
                {
                    var at = dialAgent + Between(0.3, 1);
                    if (_random.Next(2) == 0)
                    {
                        draft.Event(CallLeg.Agent, "ringing", at);
                        at += Between(0.5, 2);
                    }

                    draft.Event(CallLeg.Agent, "busy", at, w => w.WriteNumber("sip_code", 486));
                    draft.Completed(CallLeg.Agent, at + Between(0.05, 0.3), null, 0, agentRate, "23415");
                    inboundEnd = at + Between(0.5, 2);
                    break;
                }

            case SimOutcome.Unanswered:
                {
                    var agentRinging = dialAgent + Between(0.2, 1);
                    var at = agentRinging + Between(5, Math.Max(6, ids.Campaign.RingTimeoutSeconds - 1));
                    var detail = _random.Next(10) < 7 ? "unavailable" : "timeout";
                    draft.Event(CallLeg.Agent, "ringing", agentRinging);
                    draft.Event(CallLeg.Agent, "unanswered", at, w =>
                    {
                        w.WriteString("detail", detail);
                        w.WriteNumber("sip_code", detail == "timeout" ? 408 : 480);
                    });
                    draft.Completed(CallLeg.Agent, at + Between(0.05, 0.3), null, 0, agentRate, "23415");
                    inboundEnd = at + Between(0.5, 2);
                    break;
                }

            case SimOutcome.Timeout:
                {
                    var agentRinging = dialAgent + Between(0.2, 1);
                    var at = agentRinging + ids.Campaign.RingTimeoutSeconds;
                    draft.Event(CallLeg.Agent, "ringing", agentRinging);
                    draft.Event(CallLeg.Agent, "timeout", at);
                    draft.Completed(CallLeg.Agent, at + Between(0.05, 0.3), null, 0, agentRate, "23415");
                    inboundEnd = at + Between(0.5, 2);
                    break;
                }

            case SimOutcome.Rejected:
                {
                    // A rejected leg never reaches completed.
                    var at = dialAgent + Between(0.1, 1);
                    var detail = Pick("declined", "restricted", "invalid_number");
                    draft.Event(CallLeg.Agent, "rejected", at, w => w.WriteString("detail", detail));
                    inboundEnd = at + Between(0.5, 2);
                    break;
                }

            case SimOutcome.Failed:
                {
                    var at = dialAgent + Between(0.2, 2);
                    var detail = Pick("cannot_route", "number_out_of_service", "internal_error");
                    draft.Event(CallLeg.Agent, "failed", at, w => w.WriteString("detail", detail));
                    draft.Completed(CallLeg.Agent, at + Between(0.05, 0.3), null, 0, agentRate, "23415");
                    inboundEnd = at + Between(0.5, 2);
                    break;
                }

            case SimOutcome.Abandoned:
                {
                    // The caller hangs up while the agent's phone rings; Vonage cancels the agent leg.
                    var agentRinging = dialAgent + Between(0.2, 1);
                    var hangUp = agentRinging + Between(2, Math.Max(3, ids.Campaign.RingTimeoutSeconds - 2));
                    draft.Event(CallLeg.Agent, "ringing", agentRinging);
                    inboundEnd = hangUp;
                    var cancelled = hangUp + Between(0.05, 0.3);
                    draft.Event(CallLeg.Agent, "cancelled", cancelled);
                    draft.Completed(CallLeg.Agent, cancelled + Between(0.02, 0.2), null, 0, agentRate, "23415");
                    break;
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null);
        }

        FinishInbound(draft, answered, inboundEnd, recordFrom: ids.Campaign.RecordCalls ? dialAgent - 0.5 : null);
        return draft;
    }

    /// <summary>The NCCO only talks (out of hours, unknown number, inactive campaign): no agent leg.</summary>
    private Draft BuildNotConnected(CallIds ids)
    {
        var draft = new Draft(ids, SimOutcome.NotConnected);
        var ringing = Between(0.05, 0.4);
        var answered = ringing + Between(0.3, 1.5);
        draft.Event(CallLeg.Inbound, "started", 0);
        draft.Event(CallLeg.Inbound, "ringing", ringing);
        draft.Event(CallLeg.Inbound, "answered", answered, AnsweredFields);
        FinishInbound(draft, answered, answered + Between(3, 9), recordFrom: null);
        return draft;
    }

    private void FinishInbound(Draft draft, double answered, double end, double? recordFrom)
    {
        var seconds = (int)Math.Round(end - answered, MidpointRounding.AwayFromZero);
        draft.CallSeconds = seconds;
        draft.InboundPrice = Price(InboundRate, seconds);
        draft.Completed(CallLeg.Inbound, end, answered, seconds, InboundRate, "GB-FIXED");
        if (recordFrom is { } recordStart)
        {
            // The record action runs from the notice to the hang-up; Vonage posts the file a few seconds later.
            var fileId = NextUuid();
            var recordingUuid = NextUuid();
            var size = (long)((end - recordStart) * RecordingBytesPerSecond);
            draft.Recording(end + Between(1, 5), recordStart, end, options.RecordingBaseUrl + fileId, recordingUuid, size);
        }
    }

    private CallPlan Finish(Draft draft, DateTimeOffset startedAt, bool shuffle)
    {
        var timeline = draft.Build(startedAt);
        var deliveries = timeline.ToList();

        // Duplicates: a second delivery of the same body, somewhere later in the sequence (a retried webhook).
        foreach (var delivery in timeline)
        {
            if (delivery.Kind != DeliveryKind.Whisper && _random.NextDouble() < options.DuplicateFraction)
            {
                var at = deliveries.IndexOf(delivery);
                deliveries.Insert(_random.Next(at + 1, deliveries.Count + 1), delivery with { IsDuplicate = true });
            }
        }

        var shuffled = false;
        if (shuffle && deliveries.Count > 1)
        {
            var original = deliveries.ToList();
            for (var attempt = 0; attempt < 10 && deliveries.SequenceEqual(original); attempt++)
            {
                _random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(deliveries));
            }

            shuffled = !deliveries.SequenceEqual(original);
        }

        return new CallPlan(draft.Outcome, timeline, deliveries, draft.CallSeconds, draft.TalkSeconds, draft.InboundPrice,
            draft.AgentPrice, shuffled);
    }

    private static void AnsweredFields(Utf8JsonWriter w)
    {
        // Vonage sends these empty on answered; they are filled on completed.
        w.WriteNull("start_time");
        w.WriteNull("rate");
        w.WriteNull("network");
    }

    /// <summary>Price = rate (EUR/min) × minutes, to Vonage's 8 decimals.</summary>
    public static decimal Price(decimal ratePerMinute, int seconds) =>
        Math.Round(ratePerMinute * seconds / 60m, 8, MidpointRounding.AwayFromZero);

    public static string Money(decimal value) => value.ToString("0.00000000", CultureInfo.InvariantCulture);

    private double Between(double min, double max) => min + (_random.NextDouble() * (max - min));

    private string Pick(params string[] values) => values[_random.Next(values.Length)];

    private string NextUuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 (little-endian Guid layout)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes).ToString();
    }

    private sealed record CallIds(SimCampaign Campaign, string Conversation, string Inbound, string Agent, string? From);

    /// <summary>A call's requests at offsets from its start, turned into bodies once the start time is known.</summary>
    private sealed class Draft(CallIds ids, SimOutcome outcome)
    {
        private readonly List<(double At, Func<DateTimeOffset, Delivery> Make)> _items = [];

        public SimOutcome Outcome => outcome;

        public int CallSeconds { get; set; }

        public int TalkSeconds { get; set; }

        public decimal InboundPrice { get; set; }

        public decimal AgentPrice { get; set; }

        public TimeSpan Length => TimeSpan.FromSeconds(_items.Max(i => i.At));

        public void Event(CallLeg leg, string status, double at, Action<Utf8JsonWriter>? extra = null) =>
            Event(leg, status, at, extra is null ? null : (w, _) => extra(w));

        public void Event(CallLeg leg, string status, double at, Action<Utf8JsonWriter, DateTimeOffset>? extra) =>
            _items.Add((at, start =>
            {
                var timestamp = start + TimeSpan.FromSeconds(at);
                return new Delivery(DeliveryKind.Event, leg, status, timestamp, Json(w =>
                {
                    WriteParties(w, leg);
                    w.WriteString("uuid", leg == CallLeg.Inbound ? ids.Inbound : ids.Agent);
                    w.WriteString("conversation_uuid", ids.Conversation);
                    w.WriteString("status", status);
                    w.WriteString("direction", leg == CallLeg.Inbound ? "inbound" : "outbound");
                    w.WriteString("timestamp", Iso(timestamp));
                    extra?.Invoke(w, start);
                }), []);
            }
        ));

        /// <summary>The leg's billing summary; a leg that was never answered has no start time and costs nothing.</summary>
        public void Completed(CallLeg leg, double at, double? answeredAt, int seconds, decimal rate, string network) =>
            Event(leg, "completed", at, (w, start) =>
            {
                if (answeredAt is { } answered)
                {
                    w.WriteString("start_time", Iso(start + TimeSpan.FromSeconds(answered)));
                }
                else
                {
                    w.WriteNull("start_time");
                }

                w.WriteString("end_time", Iso(start + TimeSpan.FromSeconds(at)));
                w.WriteString("duration", seconds.ToString(CultureInfo.InvariantCulture));
                w.WriteString("rate", Money(rate));
                w.WriteString("price", Money(Price(rate, seconds)));
                w.WriteString("network", network);
                w.WriteString("disconnected_by", "user");
            });

        public void Whisper(double at) =>
            _items.Add((at, start => new Delivery(DeliveryKind.Whisper, CallLeg.Agent, "whisper", start + TimeSpan.FromSeconds(at), [],
            [
                new("to", ids.Campaign.AgentDigits), new("from", ids.Campaign.TrackingDigits), new("uuid", ids.Agent),
                new("conversation_uuid", ids.Conversation), new("endpoint_type", "phone"),
                new("region_url", "https://api-eu-3.vonage.com"),
            ])));

        public void Recording(double at, double recordStart, double recordEnd, string url, string recordingUuid, long size) =>
            _items.Add((at, start =>
            {
                var timestamp = start + TimeSpan.FromSeconds(at);
                return new Delivery(DeliveryKind.Recording, CallLeg.Inbound, "record", timestamp, Json(w =>
                {
                    w.WriteString("start_time", Iso(start + TimeSpan.FromSeconds(recordStart)));
                    w.WriteString("recording_url", url);
                    w.WriteNumber("size", size);
                    w.WriteString("recording_uuid", recordingUuid);
                    w.WriteString("end_time", Iso(start + TimeSpan.FromSeconds(recordEnd)));
                    w.WriteString("conversation_uuid", ids.Conversation);
                    w.WriteString("timestamp", Iso(timestamp));
                }), []);
            }
        ));

        public IReadOnlyList<Delivery> Build(DateTimeOffset startedAt) =>
            _items.OrderBy(i => i.At).Select(i => i.Make(startedAt)).ToList();

        private void WriteParties(Utf8JsonWriter w, CallLeg leg)
        {
            if (leg == CallLeg.Inbound)
            {
                if (ids.From is not null)
                {
                    w.WriteString("from", ids.From);
                }

                w.WriteString("to", ids.Campaign.TrackingDigits);
            }
            else
            {
                w.WriteString("from", ids.Campaign.TrackingDigits);
                w.WriteString("to", ids.Campaign.AgentDigits);
            }
        }

        private static byte[] Json(Action<Utf8JsonWriter> write)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                write(writer);
                writer.WriteEndObject();
            }

            return buffer.ToArray();
        }
    }

    public static string Iso(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
