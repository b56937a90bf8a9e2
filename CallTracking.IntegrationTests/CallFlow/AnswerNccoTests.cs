using System.Text.Json;
using Azure.Data.Tables;
using CallTracking.Functions.CallFlow;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace CallTracking.Tests.CallFlow;

[Collection(AzuriteCollection.Name)]
public class AnswerNccoTests(AzuriteFixture azurite)
{
    private const string Base = "https://calls.example.com";

    // Wednesday 10 June 2026: 12:00 UTC is 13:00 in London (BST), inside Mon–Fri 09:00–17:00.
    private static readonly DateTimeOffset InHours = new(2026, 6, 10, 12, 0, 0, TimeSpan.Zero);

    // 20:00 UTC is 21:00 in London: closed.
    private static readonly DateTimeOffset AfterHours = new(2026, 6, 10, 20, 0, 0, TimeSpan.Zero);

    private sealed record Scenario(ServiceProvider Services, CapturedLogs Logs) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Services.DisposeAsync();
    }

    private Scenario Create(DateTimeOffset now, string? fallbackNumber = null, string? publicBaseUrl = Base,
        IDictionary<string, string?>? settings = null)
    {
        var logs = new CapturedLogs();
        var values = new Dictionary<string, string?>
        {
            ["CallTracking:PublicBaseUrl"] = publicBaseUrl,
            ["CallTracking:FallbackNumber"] = fallbackNumber,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var services = TestServices.Create(azurite, values, s =>
        {
            s.AddSingleton<TimeProvider>(new ManualTimeProvider(now));
            s.AddLogging(b => b.AddProvider(logs));
        });
        return new Scenario(services, logs);
    }

    private static CampaignInput NewCampaign(Func<CampaignInput, CampaignInput>? change = null)
    {
        var input = new CampaignInput
        {
            Id = TestServices.UniqueId("ncco"),
            Name = "Spring TV",
            TrackingNumber = TestNumbers.UkMobile(),
            AgentNumber = TestNumbers.London(),
            BusinessHours = new BusinessHoursInput
            {
                TimeZone = "Europe/London",
                Windows = new[] { "monday", "tuesday", "wednesday", "thursday", "friday" }
                    .Select(d => (OpeningWindowInput?)new OpeningWindowInput { Day = d, Open = "09:00", Close = "17:00" }).ToList(),
            },
        };
        return change?.Invoke(input) ?? input;
    }

    private static async Task<Campaign> SaveAsync(IServiceProvider services, CampaignInput input)
    {
        var admin = services.GetRequiredService<CampaignAdmin>();
        var (campaign, _) = await admin.PutAsync(input.Id!, JsonSerializer.SerializeToUtf8Bytes(input, JsonDefaults.Options));
        return campaign;
    }

    private static async Task<AnswerOutcome> AnswerAsync(IServiceProvider services, string trackingNumber, string baseUrl = "http://localhost:7071")
    {
        var answers = services.GetRequiredService<AnswerService>();
        var urls = services.GetRequiredService<CallbackUrlResolver>().Resolve(new Uri(baseUrl + "/api/answer?to=x"));
        return await answers.AnswerAsync(
            new AnswerRequest(TestNumbers.Digits(trackingNumber), "447700900999", Guid.NewGuid().ToString(), "CON-" + Guid.NewGuid()), urls);
    }

    private static Dictionary<string, string> Tokens(Campaign campaign, string baseUrl = Base) => new()
    {
        ["base"] = baseUrl,
        ["tracking"] = TestNumbers.Digits(campaign.TrackingNumber),
        ["agent"] = TestNumbers.Digits(campaign.AgentNumber),
        ["forward"] = TestNumbers.Digits(campaign.OutOfHours?.ForwardNumber ?? ""),
        ["fallback"] = TestNumbers.Digits(campaign.FallbackNumber ?? ""),
        ["campaignId"] = campaign.Id,
        ["name"] = campaign.Name,
    };

    [Fact]
    public async Task In_hours_with_stream_notice_recording_and_whisper()
    {
        await using var s = Create(InHours);
        var campaign = await SaveAsync(s.Services, NewCampaign(c => c with
        {
            RecordingNotice = new RecordingNoticeInput { AudioUrl = "https://example.com/audio/notice.mp3" },
            RecordCalls = true,
            WhisperText = "New lead from the spring TV advert.",
            RingTimeoutSeconds = 25,
        }));

        var outcome = await AnswerAsync(s.Services, campaign.TrackingNumber);

        Assert.Equal(AnswerRoute.Connect, outcome.Route);
        GoldenNcco.AssertMatches("in-hours-stream-record-whisper", outcome.Ncco, Tokens(campaign));
    }

    [Fact]
    public async Task In_hours_with_talk_notice_no_recording_no_whisper()
    {
        await using var s = Create(InHours);
        var campaign = await SaveAsync(s.Services, NewCampaign(c => c with
        {
            RecordingNotice = new RecordingNoticeInput { Text = "Hello! This call may be recorded for training.", Language = "en-GB" },
        }));

        var outcome = await AnswerAsync(s.Services, campaign.TrackingNumber);

        GoldenNcco.AssertMatches("in-hours-talk-notice", outcome.Ncco, Tokens(campaign));
    }

    [Fact]
    public async Task In_hours_recording_without_notice_uses_the_request_host_when_no_public_base_url()
    {
        await using var s = Create(InHours, publicBaseUrl: ""); // empty, as in local.settings.json.example
        var campaign = await SaveAsync(s.Services, NewCampaign(c => c with { RecordCalls = true }));

        var outcome = await AnswerAsync(s.Services, campaign.TrackingNumber, "http://127.0.0.1:7071");

        GoldenNcco.AssertMatches("in-hours-record-no-notice", outcome.Ncco, Tokens(campaign, "http://127.0.0.1:7071"));
    }

    [Fact]
    public async Task In_hours_whisper_without_recording()
    {
        await using var s = Create(InHours);
        var campaign = await SaveAsync(s.Services, NewCampaign(c => c with { WhisperText = "New lead from the spring TV advert." }));

        var outcome = await AnswerAsync(s.Services, campaign.TrackingNumber);

        GoldenNcco.AssertMatches("in-hours-whisper-no-record", outcome.Ncco, Tokens(campaign));
    }

    [Fact]
    public async Task Out_of_hours_message_is_the_default_when_nothing_is_configured()
    {
        await using var s = Create(AfterHours);
        var campaign = await SaveAsync(s.Services, NewCampaign(c => c with { RecordCalls = true, WhisperText = "x" }));

        var outcome = await AnswerAsync(s.Services, campaign.TrackingNumber);

        Assert.Equal(AnswerRoute.OutOfHours, outcome.Route);
        GoldenNcco.AssertMatches("out-of-hours-message", outcome.Ncco, Tokens(campaign));
    }

    [Fact]
    public async Task Out_of_hours_voicemail()
    {
        await using var s = Create(AfterHours);
        var campaign = await SaveAsync(s.Services, NewCampaign(c => c with
        {
            OutOfHours = new OutOfHoursInput { Action = "voicemail", Message = "We're closed. Leave a message after the tone, then press hash." },
        }));

        var outcome = await AnswerAsync(s.Services, campaign.TrackingNumber);

        GoldenNcco.AssertMatches("out-of-hours-voicemail", outcome.Ncco, Tokens(campaign));
    }

    [Fact]
    public async Task Out_of_hours_forward()
    {
        await using var s = Create(AfterHours);
        var campaign = await SaveAsync(s.Services, NewCampaign(c => c with
        {
            OutOfHours = new OutOfHoursInput { Action = "Forward", Message = "Connecting you to our out-of-hours team.", ForwardNumber = TestNumbers.London() },
        }));

        var outcome = await AnswerAsync(s.Services, campaign.TrackingNumber);

        GoldenNcco.AssertMatches("out-of-hours-forward", outcome.Ncco, Tokens(campaign));
    }

    [Fact]
    public async Task Closed_date_is_out_of_hours_even_inside_a_window()
    {
        await using var s = Create(InHours);
        var campaign = await SaveAsync(s.Services, NewCampaign(c => c with
        {
            BusinessHours = c.BusinessHours! with { ClosedDates = ["2026-06-10"] },
            OutOfHours = new OutOfHoursInput { Message = "We are closed today for the holiday. Please call back tomorrow." },
        }));

        var outcome = await AnswerAsync(s.Services, campaign.TrackingNumber);

        Assert.Equal(AnswerRoute.OutOfHours, outcome.Route);
        GoldenNcco.AssertMatches("closed-date", outcome.Ncco, Tokens(campaign));
    }

    [Fact]
    public async Task Unknown_number_without_fallback()
    {
        await using var s = Create(InHours);
        var number = TestNumbers.UkMobile();

        var outcome = await AnswerAsync(s.Services, number);

        Assert.Equal(AnswerRoute.UnknownNumber, outcome.Route);
        GoldenNcco.AssertMatches("unknown-number", outcome.Ncco, new Dictionary<string, string>());
    }

    [Fact]
    public async Task Unknown_number_with_the_global_fallback()
    {
        var fallback = TestNumbers.London();
        await using var s = Create(InHours, fallbackNumber: "0" + fallback[3..], // national form, normalised with DefaultCountry
            settings: new Dictionary<string, string?> { ["CallTracking:DefaultCountry"] = "GB" });
        var number = TestNumbers.UkMobile();

        var outcome = await AnswerAsync(s.Services, number);

        GoldenNcco.AssertMatches("unknown-number-fallback", outcome.Ncco, new Dictionary<string, string>
        {
            ["base"] = Base,
            ["tracking"] = TestNumbers.Digits(number),
            ["fallback"] = TestNumbers.Digits(fallback),
        });
    }

    [Fact]
    public async Task Inactive_campaign_connects_to_its_own_fallback_number()
    {
        await using var s = Create(InHours, fallbackNumber: TestNumbers.London());
        var campaign = await SaveAsync(s.Services, NewCampaign(c => c with { IsActive = false, FallbackNumber = TestNumbers.London() }));

        var outcome = await AnswerAsync(s.Services, campaign.TrackingNumber);

        Assert.Equal(AnswerRoute.Inactive, outcome.Route);
        GoldenNcco.AssertMatches("inactive-campaign-fallback", outcome.Ncco, Tokens(campaign));
    }

    [Fact]
    public async Task Inactive_campaign_without_any_fallback_only_talks()
    {
        await using var s = Create(InHours);
        var campaign = await SaveAsync(s.Services, NewCampaign(c => c with { IsActive = false }));

        var outcome = await AnswerAsync(s.Services, campaign.TrackingNumber);

        GoldenNcco.AssertMatches("inactive-campaign", outcome.Ncco, Tokens(campaign));
    }

    [Fact]
    public async Task Storage_unavailable_gives_the_fallback_NCCO_and_an_error_log()
    {
        var deadPort = FreePorts.Next();
        await using var s = Create(InHours, settings: new Dictionary<string, string?>
        {
            [StorageNames.StorageConnection] =
                $"DefaultEndpointsProtocol=http;AccountName={AzuriteFixture.AccountName};AccountKey={AzuriteFixture.AccountKey};" +
                $"TableEndpoint=http://127.0.0.1:{deadPort}/{AzuriteFixture.AccountName};" +
                $"QueueEndpoint=http://127.0.0.1:{deadPort}/{AzuriteFixture.AccountName};",
        });
        var number = TestNumbers.UkMobile();

        var outcome = await AnswerAsync(s.Services, number);

        Assert.Equal(AnswerRoute.Fallback, outcome.Route);
        GoldenNcco.AssertMatches("fallback-apology", outcome.Ncco, new Dictionary<string, string>());
        var error = Assert.Single(s.Logs.Entries, e => e.Level == LogLevel.Error && e.Category == typeof(AnswerService).FullName);
        Assert.DoesNotContain(TestNumbers.Digits(number)[3..], error.Message, StringComparison.Ordinal); // masked
    }

    [Theory]
    [InlineData("{ this is not json")]
    [InlineData("""{"id":"x","name":"x","trackingNumber":"+447700900001","agentNumber":"+442079460000","businessHours":{"timeZone":"Mars/Olympus_Mons"}}""")]
    [InlineData("""{"id":"x","name":"x","trackingNumber":"+447700900001","agentNumber":"not a number"}""")]
    public async Task Corrupt_campaign_row_gives_the_fallback_NCCO(string data)
    {
        var fallback = TestNumbers.London();
        await using var s = Create(InHours, fallbackNumber: fallback);
        var number = TestNumbers.UkMobile();
        var table = s.Services.GetRequiredService<TableServiceClient>().GetTableClient(StorageNames.CampaignsTable);
        await table.CreateIfNotExistsAsync();
        await table.UpsertEntityAsync(new TableEntity(CampaignStore.Partition, CampaignStore.NumberKey(number)) { ["Data"] = data });

        var outcome = await AnswerAsync(s.Services, number);

        Assert.Equal(AnswerRoute.Fallback, outcome.Route);
        GoldenNcco.AssertMatches("fallback-connect", outcome.Ncco, new Dictionary<string, string>
        {
            ["base"] = Base,
            ["tracking"] = TestNumbers.Digits(number),
            ["fallback"] = TestNumbers.Digits(fallback),
        });
        Assert.Contains(s.Logs.Entries, e => e.Level == LogLevel.Error && e.Category == typeof(AnswerService).FullName);
    }

    [Fact]
    public async Task Fallback_webhook_needs_no_storage()
    {
        await using var s = Create(InHours, settings: new Dictionary<string, string?> { [StorageNames.StorageConnection] = "" });
        var fallback = s.Services.GetRequiredService<FallbackNcco>();

        var ncco = fallback.Build(null, new CallbackUrls(Base));

        GoldenNcco.AssertMatches("fallback-apology", ncco, new Dictionary<string, string>());
    }

    [Fact]
    public async Task Whisper_speaks_the_campaign_whisper_or_its_name()
    {
        await using var s = Create(InHours);
        var withText = await SaveAsync(s.Services, NewCampaign(c => c with { WhisperText = "New lead from the spring TV advert." }));
        var withoutText = await SaveAsync(s.Services, NewCampaign(c => c with { Name = "Radio North" }));
        var answers = s.Services.GetRequiredService<AnswerService>();

        GoldenNcco.AssertMatches("whisper", await answers.WhisperAsync(withText.Id), Tokens(withText));
        GoldenNcco.AssertMatches("whisper-default", await answers.WhisperAsync(withoutText.Id), Tokens(withoutText));
        var unknown = JsonDocument.Parse(await answers.WhisperAsync("no-such-campaign")).RootElement;
        Assert.Equal(AnswerService.GenericWhisper, unknown[0].GetProperty("text").GetString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("hello")]
    public async Task Missing_or_unparseable_to_is_a_validation_error(string? to)
    {
        await using var s = Create(InHours);
        var answers = s.Services.GetRequiredService<AnswerService>();

        var ex = await Assert.ThrowsAsync<ValidationException>(async () =>
            await answers.AnswerAsync(new AnswerRequest(to, "447700900999", "u", "c"), new CallbackUrls(Base)));

        Assert.Equal("to", Assert.Single(ex.Errors).Field);
    }

    [Fact]
    public async Task The_answer_records_the_calls_first_state_in_the_background()
    {
        await using var s = Create(InHours);
        var recorder = s.Services.GetRequiredService<CallStartRecorder>();
        await recorder.StartAsync(CancellationToken.None);
        try
        {
            var campaign = await SaveAsync(s.Services, NewCampaign());
            var calls = s.Services.GetRequiredService<CallStore>();
            var conversation = "CON-" + Guid.NewGuid();
            // The event webhook may already have written the row: its fields must survive.
            await calls.TryAddAsync(new CallRecord { PartitionKey = conversation, InboundStatus = "ringing", InboundLegUuid = "leg-from-event" });
            var urls = new CallbackUrls(Base);

            await s.Services.GetRequiredService<AnswerService>().AnswerAsync(
                new AnswerRequest(TestNumbers.Digits(campaign.TrackingNumber), "Unknown", "leg-from-answer", conversation), urls);

            var call = await PollAsync(() => calls.GetAsync(conversation), c => c?.Route is not null);
            Assert.Equal(campaign.Id, call.CampaignId);
            Assert.Equal(campaign.TrackingNumber, call.TrackingNumber);
            Assert.Equal(campaign.AgentNumber, call.AgentNumber);
            Assert.Null(call.CallerNumber); // withheld
            Assert.Equal("connect", call.Route);
            Assert.Equal(InHours, call.AnsweredAt);
            Assert.Equal("ringing", call.InboundStatus);
            Assert.Equal("leg-from-event", call.InboundLegUuid);
        }
        finally
        {
            await recorder.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<T> PollAsync<T>(Func<Task<T?>> read, Func<T?, bool> done)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var value = await read();
            if (done(value))
            {
                return value!;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("The expected state never appeared.");
    }
}
