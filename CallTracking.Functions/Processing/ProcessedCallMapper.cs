using CallTracking.Functions.Calls;

namespace CallTracking.Functions.Processing;

/// <summary>
/// The one place where a ledger row (<see cref="CallRecord"/>: strings, doubles, nullable columns) becomes a
/// <see cref="ProcessedCall"/>, and where a processed call's results are written back onto it. The stored outcome is
/// parsed, and money turns decimal, here and nowhere else.
/// </summary>
public static class ProcessedCallMapper
{
    private static readonly Dictionary<string, CallOutcome> OutcomesByName =
        Enum.GetValues<CallOutcome>().ToDictionary(outcome => outcome.ToString(), StringComparer.OrdinalIgnoreCase);

    /// <summary>The processed call stored on <paramref name="record"/>; null until the processor has stored results on it.</summary>
    public static ProcessedCall? From(CallRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.ProcessedAt is not { } processedAt)
        {
            return null;
        }

        // The processor stores outcome, durations and cost together, so a row lacking one, or holding an outcome that
        // is no CallOutcome name, was written by something else (a hand edit, another version). The classifier is pure,
        // so deriving the missing value from the legs gives what the processor would have stored: better than dropping
        // the call from reports or sending it as zero.
        CallClassification? derived = null;
        CallClassification Derived() => derived ??= CallOutcomeClassifier.Classify(record);
        return Build(record, processedAt,
            ParseOutcome(record.Outcome) ?? Derived().Outcome,
            record.TalkSeconds ?? Derived().TalkSeconds,
            record.CallSeconds ?? Derived().CallSeconds,
            ToMoney(record.CarrierCost) ?? Derived().CarrierCost);
    }

    /// <summary>
    /// What the processor makes of a finished call before its result stages add to it: outcome, durations and cost
    /// classified from the legs.
    /// </summary>
    public static ProcessedCall Classify(CallRecord record, DateTimeOffset processedAt)
    {
        ArgumentNullException.ThrowIfNull(record);
        var classification = CallOutcomeClassifier.Classify(record);
        return Build(record, processedAt, classification.Outcome, classification.TalkSeconds, classification.CallSeconds, classification.CarrierCost);
    }

    /// <summary>Writes <paramref name="call"/>'s results onto its ledger row: the columns <c>ProcessCompletedCall</c> owns.</summary>
    public static void WriteResults(ProcessedCall call, CallRecord record)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(record);
        record.Outcome = call.Outcome.ToString();
        record.TalkSeconds = call.TalkSeconds;
        record.CallSeconds = call.CallSeconds;
        record.CarrierCost = (double)call.CarrierCost;
        record.FirstTimeCaller = call.FirstTimeCaller;
        if (call.EnrichmentProvider is not null)
        {
            // Without an enrichment stage the caller columns stay unset, as they were before processing.
            record.CallerCountry = call.CallerCountry;
            record.CallerRegion = call.CallerRegion;
            record.CallerCarrier = call.CallerCarrier;
            record.CallerLineType = call.CallerLineType;
            record.EnrichmentProvider = call.EnrichmentProvider;
            record.EnrichmentCost = (double)call.EnrichmentCost;
        }

        record.ProcessedAt = call.ProcessedAt;
    }

    /// <summary>The outcome a ledger row names (a <see cref="CallOutcome"/> name in any case); null for anything else, numbers included.</summary>
    public static CallOutcome? ParseOutcome(string? stored) =>
        stored is not null && OutcomesByName.TryGetValue(stored.Trim(), out var outcome) ? outcome : null;

    /// <summary>
    /// EUR from a double column. Amounts are Vonage prices (8 decimals at most) and sums of them, and a double keeps 15
    /// significant digits, so rounding to 8 decimals gives back exactly the amount that was stored.
    /// </summary>
    public static decimal? ToMoney(double? stored) =>
        stored is { } value && double.IsFinite(value) ? Math.Round((decimal)value, 8) : null;

    private static ProcessedCall Build(CallRecord record, DateTimeOffset processedAt, CallOutcome outcome, int talkSeconds,
        int callSeconds, decimal carrierCost) => new()
        {
            CallId = record.PartitionKey,
            CampaignId = record.CampaignId,
            TrackingNumber = record.TrackingNumber,
            CallerNumber = record.CallerNumber,
            AgentNumber = record.AgentNumber,
            Route = record.Route,
            StartedAt = (record.KnownStartTime() ?? processedAt).ToUniversalTime(),
            CompletedAt = record.CompletedAt,
            CallerLeg = new CallLeg
            {
                Uuid = record.InboundLegUuid,
                Status = record.InboundStatus,
                StartTime = record.InboundStartTime,
                EndTime = record.InboundEndTime,
                DurationSeconds = record.InboundDurationSeconds,
                Price = ToMoney(record.InboundPrice),
                Rate = ToMoney(record.InboundRate),
                Network = record.InboundNetwork,
            },
            AgentLeg = new CallLeg
            {
                Uuid = record.AgentLegUuid,
                Status = record.AgentStatus,
                Detail = record.AgentDetail,
                AnsweredAt = record.AgentAnsweredAt,
                EndTime = record.AgentEndTime,
                DurationSeconds = record.AgentDurationSeconds,
                Price = ToMoney(record.AgentPrice),
                Rate = ToMoney(record.AgentRate),
            },
            RecordingUrl = record.RecordingUrl,
            Outcome = outcome,
            TalkSeconds = talkSeconds,
            CallSeconds = callSeconds,
            HoldSeconds = HoldSecondsOf(record),
            CarrierCost = carrierCost,
            FirstTimeCaller = record.FirstTimeCaller,
            CallerCountry = record.CallerCountry,
            CallerRegion = record.CallerRegion,
            CallerCarrier = record.CallerCarrier,
            CallerLineType = record.CallerLineType,
            EnrichmentProvider = record.EnrichmentProvider,
            EnrichmentCost = ToMoney(record.EnrichmentCost) ?? 0m,
            ProcessedAt = processedAt,
            Direction = record.Direction,
            AttemptNumber = record.AttemptNumber,
            CallbackOf = record.CallbackOf,
        };

    /// <summary>From joining the wait list to the transfer that ended it, or to the caller's hang-up.</summary>
    public static int HoldSecondsOf(CallRecord record)
    {
        if (record.HoldEnteredAt is not { } entered)
        {
            return 0;
        }

        var ended = record.HoldEndedAt ?? record.InboundEndTime ?? record.CompletedAt;
        return ended is { } end && end > entered ? (int)Math.Round((end - entered).TotalSeconds, MidpointRounding.AwayFromZero) : 0;
    }
}
