using System.Globalization;
using System.Text.RegularExpressions;
using CallTracking.Functions.Common;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Campaigns;

/// <summary>
/// Turns client input into a <see cref="Campaign"/>: every number normalised to E.164, every rule checked,
/// and ALL bad fields reported together (<see cref="ValidationException"/>). Nothing is stored here.
/// </summary>
public sealed partial class CampaignValidator(IOptions<CallTrackingOptions> options)
{
    /// <summary>Vonage's text-to-speech limit per <c>talk</c>.</summary>
    public const int MaxSpeechLength = 1500;

    public const int MaxNameLength = 200;

    public const int MinRingTimeoutSeconds = 5;

    public const int MaxRingTimeoutSeconds = 120;

    /// <summary>Bounds of <c>whenBusy.maxWaitSeconds</c>: long enough to be worth holding, short of a stuck call.</summary>
    public const int MinMaxWaitSeconds = 10;

    public const int MaxMaxWaitSeconds = 3600;

    private static readonly Dictionary<string, DayOfWeek> Days = BuildDays();

    private readonly string _defaultRegion = options.Value.DefaultCountry;

    /// <exception cref="ValidationException">Names every invalid field.</exception>
    public Campaign Validate(CampaignInput? input)
    {
        var errors = new List<FieldError>();
        var campaign = Validate(input, FieldNames.Root, errors);
        if (errors.Count > 0 || campaign is null)
        {
            throw new ValidationException(errors);
        }

        return campaign;
    }

    /// <summary>
    /// Validates every item first (so one bad item rejects the whole batch before anything is written), and
    /// rejects two items claiming one id or one tracking number, naming both.
    /// </summary>
    /// <exception cref="ValidationException">Names every invalid field of every item.</exception>
    public IReadOnlyList<Campaign> ValidateBatch(IReadOnlyList<CampaignBatchItem> items)
    {
        var errors = new List<FieldError>();
        var campaigns = new List<Campaign>(items.Count);
        var ids = new Dictionary<string, FieldNames>(StringComparer.Ordinal);
        var numbers = new Dictionary<string, FieldNames>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var campaign = Validate(item.Input, item.Names, errors);
            if (campaign is null)
            {
                continue;
            }

            campaigns.Add(campaign);
            CheckUnique(ids, campaign.Id, item.Names, "id", "campaign id", errors);
            CheckUnique(numbers, campaign.TrackingNumber, item.Names, "trackingNumber", "tracking number", errors);
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        return campaigns;
    }

    private static void CheckUnique(Dictionary<string, FieldNames> seen, string key, FieldNames names, string field, string what,
        List<FieldError> errors)
    {
        if (seen.TryGetValue(key, out var first))
        {
            errors.Add(new FieldError(first[field], $"The {what} {key} is also used by {names.ItemPath} in this batch."));
            errors.Add(new FieldError(names[field], $"The {what} {key} is also used by {first.ItemPath} in this batch."));
        }
        else
        {
            seen[key] = names;
        }
    }

    /// <summary>Validates one input, adding its errors; returns null when it has any.</summary>
    internal Campaign? Validate(CampaignInput? input, FieldNames names, List<FieldError> errors)
    {
        if (input is null)
        {
            errors.Add(new FieldError(names.ItemPath, "A campaign object is required."));
            return null;
        }

        var before = errors.Count;
        var id = input.Id?.Trim();
        if (string.IsNullOrEmpty(id))
        {
            errors.Add(new FieldError(names["id"], "Required."));
        }
        else if (!SlugPattern().IsMatch(id))
        {
            errors.Add(new FieldError(names["id"], "Use 1-64 lower-case letters, digits and '-', starting with a letter or digit."));
        }

        var name = input.Name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            errors.Add(new FieldError(names["name"], "Required."));
        }
        else if (name.Length > MaxNameLength)
        {
            errors.Add(new FieldError(names["name"], $"At most {MaxNameLength} characters."));
        }

        var trackingNumber = RequiredNumber(input.TrackingNumber, names["trackingNumber"], errors);
        var agentNumber = RequiredNumber(input.AgentNumber, names["agentNumber"], errors);
        if (trackingNumber is not null && trackingNumber == agentNumber)
        {
            errors.Add(new FieldError(names["agentNumber"], "Must differ from the tracking number (the call would ring itself)."));
        }

        var notice = Notice(input.RecordingNotice, names, errors);
        var whisper = OptionalSpeech(input.WhisperText, names["whisperText"], errors);
        var hours = Hours(input.BusinessHours, names, errors);
        var outOfHours = AfterHours(input.OutOfHours, names, errors);
        var fallbackNumber = OptionalNumber(input.FallbackNumber, names["fallbackNumber"], errors);
        var impact = Impact(input.Impact, names, errors);
        var whenBusy = Busy(input.WhenBusy, names, errors);
        var callbackUrl = CampaignCallbackRules.CallbackUrl(input.CallbackUrl, names, errors);
        var callback = CampaignCallbackRules.Callback(input.Callback, names, errors);
        var whenUnanswered = Unanswered(input.WhenUnanswered, names, errors);
        if (whenBusy is not null && whenUnanswered is not null)
        {
            // With a hold queue an unanswered connect puts the caller on hold; whenBusy.then says what follows.
            errors.Add(new FieldError(names["whenUnanswered"], "Not allowed with whenBusy (use whenBusy.then)."));
        }

        if (input.MonthlySpend is < 0)
        {
            errors.Add(new FieldError(names["monthlySpend"], "Must be zero or more."));
        }

        var ringTimeout = input.RingTimeoutSeconds ?? 30;
        if (ringTimeout is < MinRingTimeoutSeconds or > MaxRingTimeoutSeconds)
        {
            errors.Add(new FieldError(names["ringTimeoutSeconds"], $"Must be between {MinRingTimeoutSeconds} and {MaxRingTimeoutSeconds} seconds."));
        }

        if (errors.Count > before)
        {
            return null;
        }

        return new Campaign
        {
            Id = id!,
            Name = name!,
            TrackingNumber = trackingNumber!,
            AgentNumber = agentNumber!,
            IsActive = input.IsActive ?? true,
            RecordingNotice = notice,
            RecordCalls = input.RecordCalls ?? false,
            WhisperText = whisper,
            BusinessHours = hours,
            OutOfHours = outOfHours,
            FallbackNumber = fallbackNumber,
            Impact = impact,
            MonthlySpend = input.MonthlySpend,
            RingTimeoutSeconds = ringTimeout,
            WhenBusy = whenBusy,
            CallbackUrl = callbackUrl,
            Callback = callback,
            WhenUnanswered = whenUnanswered,
        };
    }

    private string? RequiredNumber(string? value, string field, List<FieldError> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add(new FieldError(field, "Required."));
            return null;
        }

        return OptionalNumber(value, field, errors);
    }

    private string? OptionalNumber(string? value, string field, List<FieldError> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (E164.TryNormalize(value, _defaultRegion, out var e164))
        {
            return e164;
        }

        errors.Add(new FieldError(field, $"Not a phone number (give it in international form, e.g. +447700900123, or national form for {_defaultRegion})."));
        return null;
    }

    private static string? OptionalSpeech(string? value, string field, List<FieldError> errors)
    {
        var text = value?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (text.Length > MaxSpeechLength)
        {
            errors.Add(new FieldError(field, $"At most {MaxSpeechLength} characters (the text-to-speech limit)."));
        }

        return text;
    }

    private static RecordingNotice? Notice(RecordingNoticeInput? input, FieldNames names, List<FieldError> errors)
    {
        if (input is null)
        {
            return null;
        }

        var audioUrl = input.AudioUrl?.Trim();
        var text = OptionalSpeech(input.Text, names["recordingNotice.text"], errors);
        if (string.IsNullOrEmpty(audioUrl))
        {
            audioUrl = null;
        }
        else if (!IsHttpUrl(audioUrl))
        {
            errors.Add(new FieldError(names["recordingNotice.audioUrl"], CampaignImport.IsRelativeAudio(audioUrl)
                ? $"Must be an absolute http(s) URL; to import a file name or site path, {CampaignImport.AudioBaseHint}."
                : "Must be an absolute http(s) URL of an mp3 or wav file."));
        }

        if (audioUrl is not null && text is not null)
        {
            errors.Add(new FieldError(names["recordingNotice"], "Give either audioUrl or text, not both."));
        }

        var language = input.Language?.Trim();
        if (string.IsNullOrEmpty(language))
        {
            language = null;
        }
        else if (!LanguagePattern().IsMatch(language))
        {
            errors.Add(new FieldError(names["recordingNotice.language"], "Must be a BCP-47 language tag, e.g. en-GB."));
        }

        return audioUrl is null && text is null ? null : new RecordingNotice { AudioUrl = audioUrl, Text = text, Language = language };
    }

    private static BusinessHours? Hours(BusinessHoursInput? input, FieldNames names, List<FieldError> errors)
    {
        if (input is null)
        {
            return null;
        }

        var timeZone = input.TimeZone?.Trim();
        if (string.IsNullOrEmpty(timeZone))
        {
            errors.Add(new FieldError(names["businessHours.timeZone"], "Required (an IANA time zone, e.g. Europe/London)."));
        }
        else if (!IsIanaTimeZone(timeZone))
        {
            errors.Add(new FieldError(names["businessHours.timeZone"], $"Unknown IANA time zone '{timeZone}'."));
        }

        var windows = new List<OpeningWindow>();
        var windowInputs = input.Windows ?? [];
        for (var i = 0; i < windowInputs.Count; i++)
        {
            var prefix = $"businessHours.windows[{i}]";
            var window = windowInputs[i];
            if (window is null)
            {
                errors.Add(new FieldError(names[prefix], "A window object is required."));
                continue;
            }

            DayOfWeek day = default;
            var dayOk = window.Day is not null && Days.TryGetValue(window.Day.Trim(), out day);
            if (!dayOk)
            {
                errors.Add(new FieldError(names[prefix + ".day"], "Must be a day name, e.g. monday."));
            }

            var open = Time(window.Open, allowMidnightEnd: false, names[prefix + ".open"], errors);
            var close = Time(window.Close, allowMidnightEnd: true, names[prefix + ".close"], errors);
            if (open is { } o && close is { } c && o >= c)
            {
                errors.Add(new FieldError(names[prefix + ".close"], "Must be after open (windows cannot cross midnight; split them)."));
            }

            if (dayOk && open is not null && close is not null)
            {
                windows.Add(new OpeningWindow(day, open.Value, close.Value));
            }
        }

        var closedDates = new List<DateOnly>();
        var dateInputs = input.ClosedDates ?? [];
        for (var i = 0; i < dateInputs.Count; i++)
        {
            if (DateOnly.TryParseExact(dateInputs[i]?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                closedDates.Add(date);
            }
            else
            {
                errors.Add(new FieldError(names[$"businessHours.closedDates[{i}]"], "Must be a date, yyyy-MM-dd."));
            }
        }

        return new BusinessHours { TimeZone = timeZone ?? "", Windows = windows, ClosedDates = closedDates };
    }

    private static TimeOnly? Time(string? value, bool allowMidnightEnd, string field, List<FieldError> errors)
    {
        var text = value?.Trim();
        if (allowMidnightEnd && text is "24:00" or "24:00:00")
        {
            // Close is exclusive; the last tick of the day stands for midnight.
            return TimeOnly.MaxValue;
        }

        if (TimeOnly.TryParseExact(text, ["HH:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return time;
        }

        errors.Add(new FieldError(field, allowMidnightEnd ? "Must be a time, HH:mm (24:00 for midnight)." : "Must be a time, HH:mm."));
        return null;
    }

    private OutOfHours? AfterHours(OutOfHoursInput? input, FieldNames names, List<FieldError> errors)
    {
        if (input is null)
        {
            return null;
        }

        var action = OutOfHoursAction.Message;
        var actionText = input.Action?.Trim();
        if (!string.IsNullOrEmpty(actionText))
        {
            OutOfHoursAction? parsed = actionText.ToUpperInvariant() switch
            {
                "MESSAGE" => OutOfHoursAction.Message,
                "VOICEMAIL" => OutOfHoursAction.Voicemail,
                "FORWARD" => OutOfHoursAction.Forward,
                _ => null,
            };
            if (parsed is null)
            {
                errors.Add(new FieldError(names["outOfHours.action"], "Must be message, voicemail or forward."));
            }

            action = parsed ?? action;
        }

        var message = OptionalSpeech(input.Message, names["outOfHours.message"], errors);
        var forward = OptionalNumber(input.ForwardNumber, names["outOfHours.forwardNumber"], errors);
        if (action == OutOfHoursAction.Forward && string.IsNullOrWhiteSpace(input.ForwardNumber))
        {
            errors.Add(new FieldError(names["outOfHours.forwardNumber"], "Required when the action is forward."));
        }

        return new OutOfHours { Action = action, Message = message, ForwardNumber = forward };
    }

    private static WhenBusy? Busy(WhenBusyInput? input, FieldNames names, List<FieldError> errors)
    {
        if (input is null)
        {
            return null;
        }

        var music = input.HoldMusicUrl?.Trim();
        if (string.IsNullOrEmpty(music))
        {
            errors.Add(new FieldError(names["whenBusy.holdMusicUrl"], "Required (an absolute https URL of an mp3 or wav file)."));
        }
        else if (!Uri.TryCreate(music, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || string.IsNullOrEmpty(uri.Host))
        {
            errors.Add(new FieldError(names["whenBusy.holdMusicUrl"], "Must be an absolute https URL of an mp3 or wav file."));
        }

        var message = OptionalSpeech(input.Message, names["whenBusy.message"], errors);
        var thenMessage = OptionalSpeech(input.ThenMessage, names["whenBusy.thenMessage"], errors);
        var maxWait = input.MaxWaitSeconds ?? 300;
        if (maxWait is < MinMaxWaitSeconds or > MaxMaxWaitSeconds)
        {
            errors.Add(new FieldError(names["whenBusy.maxWaitSeconds"], $"Must be between {MinMaxWaitSeconds} and {MaxMaxWaitSeconds} seconds."));
        }

        var then = Then(input.Then, names["whenBusy.then"], errors);
        if (then == WhenBusyThen.Message && thenMessage is null)
        {
            errors.Add(new FieldError(names["whenBusy.thenMessage"], "Required when then is message."));
        }

        return string.IsNullOrEmpty(music)
            ? null
            : new WhenBusy { HoldMusicUrl = music, Message = message, MaxWaitSeconds = maxWait, Then = then, ThenMessage = thenMessage };
    }

    private static WhenUnanswered? Unanswered(WhenUnansweredInput? input, FieldNames names, List<FieldError> errors)
    {
        if (input is null)
        {
            return null;
        }

        var thenMessage = OptionalSpeech(input.ThenMessage, names["whenUnanswered.thenMessage"], errors);
        var then = Then(input.Then, names["whenUnanswered.then"], errors);
        if (then == WhenBusyThen.Message && thenMessage is null)
        {
            errors.Add(new FieldError(names["whenUnanswered.thenMessage"], "Required when then is message."));
        }

        return new WhenUnanswered { Then = then, ThenMessage = thenMessage };
    }

    private static WhenBusyThen Then(string? value, string field, List<FieldError> errors)
    {
        var text = value?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return WhenBusyThen.Voicemail;
        }

        WhenBusyThen? parsed = text.ToUpperInvariant() switch
        {
            "VOICEMAIL" => WhenBusyThen.Voicemail,
            "MESSAGE" => WhenBusyThen.Message,
            _ => null,
        };
        if (parsed is null)
        {
            errors.Add(new FieldError(field, "Must be voicemail or message."));
        }

        return parsed ?? WhenBusyThen.Voicemail;
    }

    private static ImpactIds? Impact(ImpactIdsInput? input, FieldNames names, List<FieldError> errors)
    {
        if (input is null)
        {
            return null;
        }

        var ok = Positive(input.CampaignId, names["impact.campaignId"], errors)
            & Positive(input.MediaId, names["impact.mediaId"], errors)
            & Positive(input.ActionTrackerId, names["impact.actionTrackerId"], errors);
        if (input.AdId is <= 0)
        {
            ok = false;
            errors.Add(new FieldError(names["impact.adId"], "Must be a positive id."));
        }

        var subId1 = ImpactText(input.SubId1, names["impact.subId1"], errors);
        var subId2 = ImpactText(input.SubId2, names["impact.subId2"], errors);
        var subId3 = ImpactText(input.SubId3, names["impact.subId3"], errors);
        var promo = ImpactText(input.PromoNumberDescription, names["impact.promoNumberDescription"], errors);
        var source = ImpactText(input.TrafficSource, names["impact.trafficSource"], errors);
        return ok ? new ImpactIds(input.CampaignId!.Value, input.MediaId!.Value, input.ActionTrackerId!.Value)
        {
            SubId1 = subId1,
            SubId2 = subId2,
            SubId3 = subId3,
            AdId = input.AdId,
            PromoNumberDescription = promo,
            TrafficSource = source,
        } : null;
    }

    /// <summary>impact's free-text fields: 64 UTF-8 characters at most; blank is absent.</summary>
    private static string? ImpactText(string? value, string field, List<FieldError> errors)
    {
        var text = value?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (text.Length > 64)
        {
            errors.Add(new FieldError(field, "At most 64 characters (impact.com's limit)."));
        }

        return text;
    }

    private static bool Positive(long? value, string field, List<FieldError> errors)
    {
        if (value is > 0)
        {
            return true;
        }

        errors.Add(new FieldError(field, value is null ? "Required (a positive impact.com id)." : "Must be a positive id."));
        return false;
    }

    /// <summary>Whether <paramref name="id"/> has the shape of a campaign id (safe as a table key and in URLs).</summary>
    public static bool IsValidId(string? id) => id is not null && SlugPattern().IsMatch(id);

    internal static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && !string.IsNullOrEmpty(uri.Host);

    internal static bool IsIanaTimeZone(string id)
    {
        // Windows ids ("GMT Standard Time") also resolve on some platforms; the contract is IANA.
        if (!id.Contains('/', StringComparison.Ordinal) && id != "UTC")
        {
            return false;
        }

        try
        {
            TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }

    private static Dictionary<string, DayOfWeek> BuildDays()
    {
        var days = new Dictionary<string, DayOfWeek>(StringComparer.OrdinalIgnoreCase);
        foreach (var day in Enum.GetValues<DayOfWeek>())
        {
            var name = day.ToString();
            days[name] = day;
            days[name[..3]] = day;
        }

        return days;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex SlugPattern();

    [GeneratedRegex("^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", RegexOptions.CultureInvariant)]
    private static partial Regex LanguagePattern();
}
