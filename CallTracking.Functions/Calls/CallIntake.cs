using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Calls;

/// <summary>
/// The event and recording webhooks' one domain service: parse, keep the raw event, advance the ledger and, when
/// this delivery completed the call, send its calls-completed message. Every step is idempotent, so a failed
/// delivery can simply be retried by Vonage.
/// </summary>
public sealed class CallIntake(CallEventStore events, CallLedger ledger, CompletionNotifier notifier, LiveCallIndex liveCalls,
    ILogger<CallIntake> logger)
{
    /// <exception cref="Common.ValidationException">The payload is malformed or lacks an id.</exception>
    public async Task<VonageEvent> HandleEventAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        var e = CallEventParser.ParseEvent(body.Span);
        var stored = events.TryAddAsync(e, body, cancellationToken);
        var updated = UpdateLedgerAsync(e, cancellationToken);

        await Task.WhenAll(stored, updated);
        if (!await stored)
        {
            logger.LogDebug("Duplicate {Status} event for call {CallId}", e.Status ?? e.Kind.ToString(), e.ConversationUuid);
        }

        await NotifyIfClaimedAsync(await updated, cancellationToken);
        return e;
    }

    /// <exception cref="Common.ValidationException">The payload is malformed or lacks a field.</exception>
    public async Task<VonageEvent> HandleRecordingAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        var recording = CallEventParser.ParseRecording(body.Span);
        var stored = events.TryAddAsync(recording, body, cancellationToken);
        var updated = ledger.AttachRecordingAsync(recording, cancellationToken);
        await Task.WhenAll(stored, updated);

        // Later issue: copy the file to Blob Storage here (e.g. queue a copy job keyed by recording_uuid), because
        // Vonage deletes recordings after 30 days and the download needs the application's JWT.
        await NotifyIfClaimedAsync(await updated, cancellationToken);
        return recording;
    }

    private async Task<LedgerUpdate?> UpdateLedgerAsync(VonageEvent e, CancellationToken cancellationToken)
    {
        if (e.Kind == VonageEventKind.Status)
        {
            return await ledger.ApplyEventAsync(e, cancellationToken);
        }

        // A record action without its own eventUrl reports here: attach the recording all the same.
        if (e.Kind == VonageEventKind.Record && e.RecordingUuid is not null && e.RecordingUrl is not null)
        {
            return await ledger.AttachRecordingAsync(e, cancellationToken);
        }

        return null; // input, transfer, error, notify: kept as raw events only
    }

    private async Task NotifyIfClaimedAsync(LedgerUpdate? update, CancellationToken cancellationToken)
    {
        if (update is not null)
        {
            // Before the message is sent, so the call is pending before anything can process it.
            await liveCalls.TrackAsync(update.Call, cancellationToken);
        }

        if (update?.EnqueueClaimedAt is { } claimedAt)
        {
            await notifier.SendAsync(update.Call.PartitionKey, claimedAt, cancellationToken);
        }
    }
}
