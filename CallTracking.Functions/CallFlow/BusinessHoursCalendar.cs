using CallTracking.Functions.Campaigns;

namespace CallTracking.Functions.CallFlow;

/// <summary>
/// A campaign's <see cref="BusinessHours"/> made ready for the live call path: the time zone resolved once,
/// windows grouped by day, closed dates in a set.
/// </summary>
public sealed class BusinessSchedule
{
    private readonly OpeningWindow[][] _windowsByDay;
    private readonly HashSet<DateOnly> _closedDates;

    /// <exception cref="TimeZoneNotFoundException">The stored time zone is unknown (a corrupt row).</exception>
    public BusinessSchedule(BusinessHours hours)
    {
        TimeZone = TimeZoneInfo.FindSystemTimeZoneById(hours.TimeZone);
        _windowsByDay = new OpeningWindow[7][];
        for (var day = 0; day < 7; day++)
        {
            _windowsByDay[day] = hours.Windows.Where(w => (int)w.Day == day).ToArray();
        }

        _closedDates = [.. hours.ClosedDates];
    }

    public TimeZoneInfo TimeZone { get; }

    /// <summary>
    /// Whether the local wall-clock time at <paramref name="instant"/> falls in a window. Windows are wall-clock
    /// times, so across a DST change "09:00–17:00" still means nine to five local time: on the spring-forward day
    /// the skipped hour simply never occurs, and on the fall-back day a repeated hour inside a window is open twice.
    /// </summary>
    public bool IsOpenAt(DateTimeOffset instant)
    {
        var local = TimeZoneInfo.ConvertTime(instant, TimeZone).DateTime;
        if (_closedDates.Count > 0 && _closedDates.Contains(DateOnly.FromDateTime(local)))
        {
            return false;
        }

        var time = TimeOnly.FromDateTime(local);
        foreach (var window in _windowsByDay[(int)local.DayOfWeek])
        {
            if (time >= window.Open && time < window.Close)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Answers "is this campaign open now?" against the injected clock.</summary>
public sealed class BusinessHoursCalendar(TimeProvider time)
{
    /// <summary>A campaign without business hours is always open.</summary>
    public bool IsOpen(BusinessSchedule? schedule) => schedule is null || schedule.IsOpenAt(time.GetUtcNow());

    public bool IsOpen(BusinessHours? hours) => hours is null || new BusinessSchedule(hours).IsOpenAt(time.GetUtcNow());
}
