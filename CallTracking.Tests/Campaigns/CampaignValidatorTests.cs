using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using Microsoft.Extensions.Options;
using Xunit;

namespace CallTracking.Tests.Campaigns;

public class CampaignValidatorTests
{
    private static readonly CampaignValidator Validator = new(Options.Create(new CallTrackingOptions { DefaultCountry = "GB" }));

    private static CampaignInput Valid() => new()
    {
        Id = "spring-tv",
        Name = "Spring TV",
        TrackingNumber = "07700 900001",
        AgentNumber = "447700900100",
    };

    [Fact]
    public void Normalises_every_number_to_E164()
    {
        var campaign = Validator.Validate(Valid() with
        {
            FallbackNumber = "0044 20 7946 0000",
            OutOfHours = new OutOfHoursInput { Action = "forward", ForwardNumber = "+1 (415) 555-0100" },
        });

        Assert.Equal("+447700900001", campaign.TrackingNumber);
        Assert.Equal("+447700900100", campaign.AgentNumber);
        Assert.Equal("+442079460000", campaign.FallbackNumber);
        Assert.Equal("+14155550100", campaign.OutOfHours!.ForwardNumber);
        Assert.True(campaign.IsActive);
        Assert.Equal(30, campaign.RingTimeoutSeconds);
    }

    [Fact]
    public void Collects_every_bad_field_with_its_path()
    {
        var input = new CampaignInput
        {
            Id = "Not A Slug",
            Name = "",
            TrackingNumber = "hello",
            AgentNumber = null,
            RecordingNotice = new RecordingNoticeInput { AudioUrl = "ftp://x/y.mp3", Text = new string('a', 1501), Language = "english!" },
            WhisperText = new string('w', 1501),
            BusinessHours = new BusinessHoursInput
            {
                TimeZone = "Mars/Olympus_Mons",
                Windows = [new OpeningWindowInput { Day = "funday", Open = "17:00", Close = "09:00" }, null],
                ClosedDates = ["25/12/2026"],
            },
            OutOfHours = new OutOfHoursInput { Action = "forward" },
            FallbackNumber = "12",
            Impact = new ImpactIdsInput { CampaignId = 0, MediaId = -1, AdId = 0, SubId2 = new string('s', 65), TrafficSource = new string('t', 65) },
            MonthlySpend = -5,
            RingTimeoutSeconds = 500,
        };

        var ex = Assert.Throws<ValidationException>(() => Validator.Validate(input));

        var fields = ex.Errors.Select(e => e.Field).ToHashSet();
        string[] expected =
        [
            "id", "name", "trackingNumber", "agentNumber", "recordingNotice.audioUrl", "recordingNotice.text", "recordingNotice",
            "recordingNotice.language", "whisperText", "businessHours.timeZone", "businessHours.windows[0].day",
            "businessHours.windows[0].close", "businessHours.windows[1]", "businessHours.closedDates[0]",
            "outOfHours.forwardNumber", "fallbackNumber", "impact.campaignId", "impact.mediaId", "impact.actionTrackerId",
            "impact.adId", "impact.subId2", "impact.trafficSource", "monthlySpend", "ringTimeoutSeconds",
        ];
        Assert.All(expected, f => Assert.Contains(f, fields));
    }

    [Theory]
    [InlineData("America/New_York", true)]
    [InlineData("Europe/London", true)]
    [InlineData("UTC", true)]
    [InlineData("GMT Standard Time", false)] // a Windows id, not IANA
    [InlineData("Europe/Atlantis", false)]
    public void Time_zones_must_be_IANA(string zone, bool valid)
    {
        var input = Valid() with { BusinessHours = new BusinessHoursInput { TimeZone = zone } };

        if (valid)
        {
            Assert.Equal(zone, Validator.Validate(input).BusinessHours!.TimeZone);
        }
        else
        {
            var ex = Assert.Throws<ValidationException>(() => Validator.Validate(input));
            Assert.Equal("businessHours.timeZone", Assert.Single(ex.Errors).Field);
        }
    }

    [Fact]
    public void Reads_days_and_times_and_midnight_close()
    {
        var campaign = Validator.Validate(Valid() with
        {
            BusinessHours = new BusinessHoursInput
            {
                TimeZone = "Europe/London",
                Windows = [new OpeningWindowInput { Day = "Sat", Open = "10:00", Close = "24:00" }],
                ClosedDates = ["2026-12-25"],
            },
        });

        var window = Assert.Single(campaign.BusinessHours!.Windows);
        Assert.Equal(DayOfWeek.Saturday, window.Day);
        Assert.Equal(new TimeOnly(10, 0), window.Open);
        Assert.Equal(TimeOnly.MaxValue, window.Close);
        Assert.Equal(new DateOnly(2026, 12, 25), Assert.Single(campaign.BusinessHours.ClosedDates));
    }

    [Fact]
    public void Agent_cannot_be_the_tracking_number()
    {
        var ex = Assert.Throws<ValidationException>(() => Validator.Validate(Valid() with { AgentNumber = "+447700900001" }));
        Assert.Equal("agentNumber", Assert.Single(ex.Errors).Field);
    }

    [Fact]
    public void Batch_names_both_items_that_share_a_tracking_number()
    {
        var items = new List<CampaignBatchItem>
        {
            new(Valid() with { Id = "a" }, new FieldNames("[0].")),
            new(Valid() with { Id = "b", AgentNumber = "+447700900200" }, new FieldNames("[1].")),
            new(Valid() with { Id = "c", TrackingNumber = "+447700900003", AgentNumber = "bad" }, new FieldNames("[2].")),
        };

        var ex = Assert.Throws<ValidationException>(() => Validator.ValidateBatch(items));

        Assert.Contains(ex.Errors, e => e.Field == "[0].trackingNumber" && e.Message.Contains("[1]", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Field == "[1].trackingNumber" && e.Message.Contains("[0]", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Field == "[2].agentNumber");
    }
}
