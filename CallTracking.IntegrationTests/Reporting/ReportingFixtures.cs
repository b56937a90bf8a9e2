using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Reporting;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Reporting;

/// <summary>Creates campaigns and processed calls the way the pipeline does: ledger row first, then the reporting stage.</summary>
internal sealed class ReportingFixtures(ServiceProvider services)
{
    private static readonly string[] Countries = ["US", "GB", "DE", "FR", "IN"];
    private static readonly string[] LineTypes = ["mobile", "landline", "voip"];
    private static readonly string[] Carriers = ["Acme Mobile", "Tel, \"Co\"", "Vodafone"];

    public CallStore Calls { get; } = services.GetRequiredService<CallStore>();

    public CampaignStore Campaigns { get; } = services.GetRequiredService<CampaignStore>();

    public CampaignReportWriter Writer { get; } = services.GetRequiredService<CampaignReportWriter>();

    public async Task<Campaign> CampaignAsync(string? name = null, decimal? monthlySpend = null)
    {
        var id = TestServices.UniqueId("c");
        var campaign = new Campaign
        {
            Id = id,
            Name = name ?? "Campaign " + id,
            TrackingNumber = "+4420" + Random.Shared.Next(10000000, 99999999),
            AgentNumber = "+14155550101",
            MonthlySpend = monthlySpend,
        };
        await Campaigns.SaveAsync([campaign]);
        return campaign;
    }

    /// <summary>A random processed call of <paramref name="campaignId"/> starting at <paramref name="start"/>.</summary>
    public static CallRecord RandomCall(Random random, string callId, string campaignId, DateTimeOffset start, string[] callerPool)
    {
        var outcome = (CallOutcome)random.Next(0, 8);
        var talk = outcome == CallOutcome.Answered ? random.Next(1, 900) : 0;
        var ring = random.Next(0, 40);
        return new CallRecord
        {
            PartitionKey = callId,
            CampaignId = campaignId,
            TrackingNumber = "+442079460000",
            CallerNumber = random.Next(10) == 0 ? null : callerPool[random.Next(callerPool.Length)],
            InboundStartTime = start,
            InboundEndTime = start.AddSeconds(ring + talk),
            InboundStatus = "completed",
            Outcome = outcome.ToString(),
            TalkSeconds = talk,
            CallSeconds = ring + talk,
            CarrierCost = Math.Round(random.NextDouble() * 0.2, 5),
            EnrichmentCost = random.Next(3) == 0 ? 0.004 : 0,
            FirstTimeCaller = random.Next(3) == 0,
            CallerCountry = random.Next(8) == 0 ? null : Countries[random.Next(Countries.Length)],
            CallerCarrier = Carriers[random.Next(Carriers.Length)],
            CallerLineType = LineTypes[random.Next(LineTypes.Length)],
            RecordingUrl = outcome == CallOutcome.Answered ? $"https://api.nexmo.com/v1/files/{Guid.NewGuid()}" : null,
            ProcessedAt = start.AddMinutes(20),
        };
    }

    public static string[] CallerPool(Random random, int size) =>
        Enumerable.Range(0, size).Select(_ => "+1202555" + random.Next(0, 10000).ToString("D4")).Distinct().ToArray();

    /// <summary>Writes the ledger rows and applies each as the processor would, several at a time.</summary>
    public async Task ProcessAsync(IReadOnlyList<CallRecord> calls, int parallelism = 8, bool applyToReports = true)
    {
        await Parallel.ForEachAsync(calls, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (call, ct) =>
        {
            Assert.True(await Calls.TryAddAsync(call, ct));
            if (applyToReports)
            {
                await ApplyAsync(call, ct);
            }
        });
    }

    /// <summary>Runs the reporting stage on a processed ledger row, as the processor does (again: a redelivery).</summary>
    public Task ApplyAsync(CallRecord call, CancellationToken cancellationToken) =>
        Writer.RunAsync(new CallProcessingContext(ProcessedCallMapper.From(call)!, Campaign: null, ResultsStoredNow: false), cancellationToken);

    /// <summary>The report entry of a processed ledger row.</summary>
    public static CallEntry Entry(CallRecord call) => CallEntry.From(ProcessedCallMapper.From(call)!);

    /// <summary>Calls of a month (UTC-ish: spread over <paramref name="monthStart"/> + 31 days).</summary>
    public static List<CallRecord> MonthOfCalls(int seed, string campaignId, DateTimeOffset monthStart, int count)
    {
        var random = new Random(seed);
        var pool = CallerPool(random, Math.Max(5, count / 3));
        var prefix = TestServices.UniqueId("call");
        var span = (monthStart.AddMonths(1) - monthStart).TotalSeconds;
        return Enumerable.Range(0, count)
            .Select(i => RandomCall(random, $"{prefix}-{i}", campaignId, monthStart.AddSeconds(Math.Floor(random.NextDouble() * span)), pool))
            .ToList();
    }
}
