using BenchmarkDotNet.Attributes;
using CallTracking.Functions;
using CallTracking.Functions.CallFlow;
using CallTracking.Functions.Campaigns;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CallTracking.Benchmarks;

/// <summary>
/// The answer path in process: a cached campaign (the steady state of a live number) → NCCO JSON bytes, through the
/// app's real DI wiring. Storage is never touched: the campaign is seeded into the directory's cache, and the
/// call-start recorder's channel is left undrained (it drops its oldest entries once full, as under overload).
/// </summary>
[MemoryDiagnoser]
public class AnswerBenchmarks
{
    private const string TrackingNumber = "+447700900001";

    private AnswerService _answers = null!;
    private CallbackUrls _urls = null!;
    private AnswerRequest _request = null!;
    private string _query = "";

    [GlobalSetup]
    public void Setup()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["CallTracking:PublicBaseUrl"] = "https://calls.example.com",
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddCallTrackingApp()
            .BuildServiceProvider();

        // Every feature on: notice, recording, whisper, business hours (open all week, so the connect path runs).
        services.GetRequiredService<CampaignDirectory>().Seed(new Campaign
        {
            Id = "spring-sale-tv",
            Name = "Spring Sale TV",
            TrackingNumber = TrackingNumber,
            AgentNumber = "+447700900100",
            RecordingNotice = new RecordingNotice { Text = "Thanks for calling about the Spring Sale. This call may be recorded.", Language = "en-GB" },
            RecordCalls = true,
            WhisperText = "Call from the Spring Sale TV advert.",
            BusinessHours = new BusinessHours
            {
                TimeZone = "Europe/London",
                Windows = Enum.GetValues<DayOfWeek>().Select(d => new OpeningWindow(d, TimeOnly.MinValue, TimeOnly.MaxValue)).ToArray(),
                ClosedDates = [new DateOnly(2020, 12, 25)],
            },
        });
        _answers = services.GetRequiredService<AnswerService>();
        _urls = services.GetRequiredService<CallbackUrlResolver>().Resolve(new Uri("https://calls.example.com/api/answer"));
        _query = "?to=447700900001&from=447700900999&uuid=aaaaaaaa-bbbb-cccc-dddd-0123456789ab&conversation_uuid=CON-aaaaaaaa-bbbb-cccc-dddd-0123456789ab&endpoint_type=phone";
        _request = AnswerRequest.FromQuery(_query);
    }

    /// <summary>Cached campaign → NCCO bytes (including the call-start enqueue).</summary>
    [Benchmark(Baseline = true)]
    public async ValueTask<int> Answer_cached_campaign()
    {
        var outcome = await _answers.AnswerAsync(_request, _urls);
        return outcome.Ncco.Length;
    }

    /// <summary>The same, plus reading the GET webhook's query string.</summary>
    [Benchmark]
    public async ValueTask<int> Answer_cached_campaign_from_query()
    {
        var outcome = await _answers.AnswerAsync(AnswerRequest.FromQuery(_query), _urls);
        return outcome.Ncco.Length;
    }
}
