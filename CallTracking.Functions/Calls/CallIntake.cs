using CallTracking.Functions.Vonage;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Calls;

/// <summary>
/// The event and recording webhooks' one domain service: parse, keep the raw event, advance the ledger and, when
/// this delivery completed the call, send its calls-completed message. Every step is idempotent, so a failed
/// delivery can simply be retried by Vonage.
/// </summary>
public sealed class CallIntake(
    CallEventStore events,
    CallLedger ledger,
    CompletionNotifier notifier,
    RecordingArchiveQueue recordings,
    VonageHosts hosts,
    ILogger<CallIntake> logger)
{
    /// <exception cref="Common.ValidationException">The payload is malformed or lacks an id.</exception>
    public async Task<VonageEvent> HandleEventAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        var e = CallEventParser.ParseEvent(body.Span, hosts.IsAllowed);
        var stored = events.TryAddAsync(e, body, cancellationToken);
        var updated = UpdateLedgerAsync(e, cancellationToken);

        await Task.WhenAll(stored, updated);
        if (!await stored)
        {
            logger.LogDebug("Duplicate {Status} event for call {CallId}", e.Status ?? e.Kind.ToString(), e.ConversationUuid);
        }

        await NotifyIfClaimedAsync(await updated, cancellationToken);
        if (e.Kind == VonageEventKind.Record && await updated is { } withRecording)
        {
            await recordings.SendIfNotArchivedAsync(withRecording.Call, cancellationToken);
        }

        return e;
    }

    /// <exception cref="Common.ValidationException">The payload is malformed or lacks a field.</exception>
    public async Task<VonageEvent> HandleRecordingAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        var recording = CallEventParser.ParseRecording(body.Span, hosts.IsAllowed);
        var stored = events.TryAddAsync(recording, body, cancellationToken);
        var updated = ledger.AttachRecordingAsync(recording, cancellationToken);
        await Task.WhenAll(stored, updated);

        // Vonage deletes recordings after 30 days: a message on `recordings` copies it into Blob Storage.
        await recordings.SendIfNotArchivedAsync((await updated).Call, cancellationToken);
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
        if (update?.EnqueueClaimedAt is { } claimedAt)
        {
            await notifier.SendAsync(update.Call.PartitionKey, claimedAt, cancellationToken);
        }
    }
}
