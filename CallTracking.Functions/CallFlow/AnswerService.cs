using System.Text.Json;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.CallFlow;

/// <summary>What the answer NCCO did with the call (stored as <see cref="CallRecord.Route"/>).</summary>
public enum AnswerRoute
{
    Connect,
    OutOfHours,
    UnknownNumber,
    Inactive,
    Fallback,
}

public readonly record struct AnswerOutcome(byte[] Ncco, AnswerRoute Route);

/// <summary>
/// The live-call path: finds the campaign for the called number and builds its NCCO. It never fails a call:
/// any storage error, timeout or unusable campaign gives the fallback NCCO and an error log. The call's first
/// state is handed to <see cref="CallStartRecorder"/> without waiting for storage.
/// </summary>
public sealed class AnswerService
{
    /// <summary>Vonage waits 5 s for an NCCO; a cache miss may use at most this much of it.</summary>
    public static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(2);

    public const string GenericWhisper = "Incoming call.";

    private readonly CampaignDirectory _directory;
    private readonly CampaignCompiler _compiler;
    private readonly BusinessHoursCalendar _calendar;
    private readonly CallStartRecorder _recorder;
    private readonly FallbackNcco _fallback;
    private readonly TimeProvider _time;
    private readonly CallTrackingMetrics _metrics;
    private readonly ILogger<AnswerService> _logger;
    private readonly JsonEncodedText _unknownNumberMessage;
    private readonly JsonEncodedText? _globalFallback;
    private readonly string? _globalFallbackE164;
    private readonly IBusyAgentAnswer? _busyAgent;

    public AnswerService(CampaignDirectory directory, CampaignCompiler compiler, BusinessHoursCalendar calendar,
        CallStartRecorder recorder, FallbackNcco fallback, TimeProvider time, IOptions<CallTrackingOptions> options, CallTrackingMetrics metrics,
        ILogger<AnswerService> logger, IBusyAgentAnswer? busyAgent = null)
    {
        _busyAgent = busyAgent;
        _directory = directory;
        _compiler = compiler;
        _calendar = calendar;
        _recorder = recorder;
        _fallback = fallback;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        var settings = options.Value;
        _unknownNumberMessage = CompiledCampaign.Encode(settings.UnknownNumberMessage);
        _globalFallbackE164 = fallback.NumberE164;
        _globalFallback = fallback.Number;
    }

    /// <summary>The NCCO for an inbound call to <see cref="AnswerRequest.To"/>.</summary>
    /// <exception cref="ValidationException"><c>to</c> is missing or not a phone number (the only failure).</exception>
    public async ValueTask<AnswerOutcome> AnswerAsync(AnswerRequest request, CallbackUrls urls, CancellationToken cancellationToken = default)
    {
        var trackingNumber = E164.FromVonage(request.To)
            ?? throw new ValidationException("to", string.IsNullOrWhiteSpace(request.To) ? "Required: the number that was called." : "Not a phone number.");

        AnswerOutcome outcome;
        string? campaignId = null;
        string? agentNumber = null;
        try
        {
            var lookup = _directory.FindByTrackingNumberAsync(trackingNumber);
            var campaign = lookup.IsCompletedSuccessfully
                ? lookup.Result
                : await lookup.AsTask().WaitAsync(LookupTimeout, _time, cancellationToken);
            outcome = Build(campaign, trackingNumber, urls, out agentNumber);
            campaignId = campaign?.Id;
            if (outcome.Route == AnswerRoute.Connect && campaign?.WhenBusy is not null && _busyAgent is not null)
            {
                // The agent is on another call: hold music and the wait list instead of a connect that would fail.
                try
                {
                    var hold = await _busyAgent.TryHoldAsync(_compiler.Get(campaign), request, urls, cancellationToken).AsTask()
                        .WaitAsync(LookupTimeout, _time, cancellationToken);
                    if (hold is not null)
                    {
                        outcome = outcome with { Ncco = hold };
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // Connecting as usual is the better failure: a busy agent gives the caller the connect's outcome.
                    _logger.LogError(ex, "Hold queue check for campaign {CampaignId} failed ({Reason}); connecting as usual",
                        campaign.Id, ex.GetType().Name);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _logger.LogError(ex, "Answering a call to {TrackingNumber} failed ({Reason}); returned the fallback NCCO",
                E164.Mask(trackingNumber), ex.GetType().Name);
            outcome = new AnswerOutcome(_fallback.Build(trackingNumber, urls), AnswerRoute.Fallback);
            _metrics.AnswerFallback("answer_error");
            agentNumber = _globalFallbackE164;
        }

        if (!string.IsNullOrEmpty(request.ConversationUuid))
        {
            _recorder.Enqueue(new CallStart(request.ConversationUuid, request.Uuid, campaignId, trackingNumber,
                E164.FromVonage(request.From), agentNumber, RouteName(outcome.Route), _time.GetUtcNow()));
        }

        return outcome;
    }

    /// <summary>The agent-side NCCO played by the connect's <c>onAnswer</c>; never fails (a generic line instead).</summary>
    public async ValueTask<byte[]> WhisperAsync(string? campaignId, CancellationToken cancellationToken = default)
    {
        var text = GenericWhisper;
        if (CampaignValidator.IsValidId(campaignId))
        {
            try
            {
                var campaign = await _directory.FindByIdAsync(campaignId!, cancellationToken).AsTask()
                    .WaitAsync(LookupTimeout, _time, cancellationToken);
                if (campaign is not null)
                {
                    text = string.IsNullOrWhiteSpace(campaign.WhisperText) ? $"Call from campaign {campaign.Name}." : campaign.WhisperText;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                _logger.LogError(ex, "Whisper lookup for campaign {CampaignId} failed; played the generic whisper", campaignId);
            }
        }

        var w = NccoWriter.Start();
        NccoWriter.WriteTalk(w, CompiledCampaign.Encode(text));
        return NccoWriter.Finish(w);
    }

    public static string RouteName(AnswerRoute route) => route switch
    {
        AnswerRoute.Connect => "connect",
        AnswerRoute.OutOfHours => "out-of-hours",
        AnswerRoute.UnknownNumber => "unknown-number",
        AnswerRoute.Inactive => "inactive",
        _ => "fallback",
    };

    private AnswerOutcome Build(Campaign? campaign, string trackingNumber, CallbackUrls urls, out string? agentNumber)
    {
        if (campaign is null)
        {
            agentNumber = _globalFallbackE164;
            return new AnswerOutcome(NotInService(FromDigits(trackingNumber), null, _globalFallback, urls), AnswerRoute.UnknownNumber);
        }

        var compiled = _compiler.Get(campaign);
        if (!campaign.IsActive)
        {
            var fallback = compiled.FallbackNumber ?? _globalFallback;
            agentNumber = compiled.FallbackNumber is null ? _globalFallbackE164 : campaign.FallbackNumber;
            return new AnswerOutcome(NotInService(default, compiled.TrackingNumber, fallback, urls), AnswerRoute.Inactive);
        }

        if (_calendar.IsOpen(compiled.Schedule))
        {
            agentNumber = campaign.AgentNumber;
            return new AnswerOutcome(InHours(compiled, urls), AnswerRoute.Connect);
        }

        agentNumber = compiled.OutOfHoursAction == OutOfHoursAction.Forward ? campaign.OutOfHours?.ForwardNumber : null;
        return new AnswerOutcome(OutOfHours(compiled, urls), AnswerRoute.OutOfHours);
    }

    private static byte[] InHours(CompiledCampaign c, CallbackUrls urls)
    {
        var w = NccoWriter.Start();
        if (c.NoticeAudioUrl is { } audio)
        {
            NccoWriter.WriteStream(w, audio);
        }
        else if (c.NoticeText is { } notice)
        {
            NccoWriter.WriteTalk(w, notice, c.NoticeLanguage);
        }

        if (c.Campaign.RecordCalls)
        {
            NccoWriter.WriteRecord(w, urls);
        }

        // With a hold queue or whenUnanswered, a failed connect asks the event webhook what next (HoldQueue/ puts the
        // caller on hold, or sends it to voicemail or the closing message).
        NccoWriter.WriteConnect(w, c.TrackingNumber, default, c.AgentNumber, c.RingTimeoutSeconds, urls, c.WhisperCampaignQuery,
            synchronous: c.Campaign.WhenBusy is not null || c.Campaign.WhenUnanswered is not null);
        return NccoWriter.Finish(w);
    }

    private static byte[] OutOfHours(CompiledCampaign c, CallbackUrls urls)
    {
        var w = NccoWriter.Start();
        if (c.OutOfHoursMessage is { } message)
        {
            NccoWriter.WriteTalk(w, message);
        }

        switch (c.OutOfHoursAction)
        {
            case OutOfHoursAction.Voicemail:
                NccoWriter.WriteVoicemail(w, urls);
                break;
            case OutOfHoursAction.Forward when c.ForwardNumber is { } forward:
                NccoWriter.WriteConnect(w, c.TrackingNumber, default, forward, c.RingTimeoutSeconds, urls);
                break;
        }

        return NccoWriter.Finish(w);
    }

    private byte[] NotInService(ReadOnlySpan<char> fromDigits, JsonEncodedText? from, JsonEncodedText? fallback, CallbackUrls urls)
    {
        var w = NccoWriter.Start();
        NccoWriter.WriteTalk(w, _unknownNumberMessage);
        if (fallback is { } number)
        {
            NccoWriter.WriteConnect(w, from, fromDigits, number, 30, urls);
        }

        return NccoWriter.Finish(w);
    }

    internal static ReadOnlySpan<char> FromDigits(string? e164) =>
        string.IsNullOrEmpty(e164) ? default : e164.AsSpan(e164.StartsWith('+') ? 1 : 0);
}
