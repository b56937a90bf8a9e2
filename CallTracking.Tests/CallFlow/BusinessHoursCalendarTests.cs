using CallTracking.Functions.CallFlow;
using CallTracking.Functions.Campaigns;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.CallFlow;

public class BusinessHoursCalendarTests
{
    private static BusinessHours Hours(string zone, params OpeningWindow[] windows) =>
        new() { TimeZone = zone, Windows = windows };

    private static bool IsOpenAt(BusinessHours hours, string utc) =>
        new BusinessHoursCalendar(new ManualTimeProvider(DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture))).IsOpen(hours);

    [Theory]
    // London springs forward on Sunday 29 March 2026 at 01:00 UTC. 08:30 UTC is 09:30 BST that day, 08:30 GMT a week before.
    [InlineData("2026-03-22T08:30:00Z", false)]
    [InlineData("2026-03-29T08:30:00Z", true)]
    // 16:30 UTC: 16:30 GMT (open) a week before, 17:30 BST (closed) on the day.
    [InlineData("2026-03-22T16:30:00Z", true)]
    [InlineData("2026-03-29T16:30:00Z", false)]
    public void Windows_follow_local_wall_clock_across_spring_forward(string utc, bool open)
    {
        var hours = Hours("Europe/London", new OpeningWindow(DayOfWeek.Sunday, new TimeOnly(9, 0), new TimeOnly(17, 0)));
        Assert.Equal(open, IsOpenAt(hours, utc));
    }

    [Theory]
    // New York falls back on Sunday 1 November 2026 at 06:00 UTC: 01:00–02:00 local happens twice.
    [InlineData("2026-11-01T05:30:00Z", true)]  // 01:30 EDT
    [InlineData("2026-11-01T06:30:00Z", true)]  // 01:30 EST, the repeated hour
    [InlineData("2026-11-01T07:30:00Z", false)] // 02:30 EST
    [InlineData("2026-11-01T04:30:00Z", false)] // 00:30 EDT
    public void A_repeated_hour_inside_a_window_is_open_both_times(string utc, bool open)
    {
        var hours = Hours("America/New_York", new OpeningWindow(DayOfWeek.Sunday, new TimeOnly(1, 0), new TimeOnly(2, 0)));
        Assert.Equal(open, IsOpenAt(hours, utc));
    }

    [Fact]
    public void The_skipped_hour_of_spring_forward_never_opens_a_window_inside_it()
    {
        // 01:00–02:00 London local does not exist on 29 March 2026.
        var hours = Hours("Europe/London", new OpeningWindow(DayOfWeek.Sunday, new TimeOnly(1, 0), new TimeOnly(2, 0)));
        Assert.False(IsOpenAt(hours, "2026-03-29T00:30:00Z")); // 00:30 GMT
        Assert.False(IsOpenAt(hours, "2026-03-29T01:30:00Z")); // 02:30 BST
    }

    [Fact]
    public void Closed_dates_are_local_dates()
    {
        // 24 Dec 12:00 UTC is 25 Dec 01:00 in Auckland (NZDT): closed, though the UTC date is the 24th.
        var hours = Hours("Pacific/Auckland", new OpeningWindow(DayOfWeek.Friday, TimeOnly.MinValue, TimeOnly.MaxValue)) with
        {
            ClosedDates = [new DateOnly(2026, 12, 25)],
        };
        Assert.False(IsOpenAt(hours, "2026-12-24T12:00:00Z"));
        Assert.True(IsOpenAt(hours with { ClosedDates = [] }, "2026-12-24T12:00:00Z"));
    }

    [Fact]
    public void No_business_hours_means_always_open_and_no_windows_means_always_closed()
    {
        var calendar = new BusinessHoursCalendar(TimeProvider.System);
        Assert.True(calendar.IsOpen((BusinessHours?)null));
        Assert.False(calendar.IsOpen(Hours("UTC")));
    }
}
