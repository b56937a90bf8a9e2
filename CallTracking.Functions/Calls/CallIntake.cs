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
    ILogger<CallIntake> logger,
    IEnumerable<ICallEventHook>? hooks = null)
{
    private readonly ICallEventHook[] _hooks = hooks?.ToArray() ?? [];

    /// <exception cref="Common.ValidationException">The payload is malformed or lacks an id.</exception>
    public async Task<VonageEvent> HandleEventAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
        (await HandleEventAsync(body, null, cancellationToken)).Event;

    /// <summary>The same, with the request's context for the hooks; <see cref="EventReply.Ncco"/> answers the webhook when set.</summary>
    /// <exception cref="Common.ValidationException">The payload is malformed or lacks an id.</exception>
    public async Task<EventReply> HandleEventAsync(ReadOnlyMemory<byte> body, EventContext? context, CancellationToken cancellationToken = default)
    {
        var e = await ResolveAsync(CallEventParser.ParseEvent(body.Span, hosts.IsAllowed), context, cancellationToken);
        var stored = events.TryAddAsync(e, body, cancellationToken);
        var updated = UpdateLedgerAsync(e, cancellationToken);

        await Task.WhenAll(stored, updated);
        if (!await stored)
        {
            logger.LogDebug("Duplicate {Status} event for call {CallId}", e.Status ?? e.Kind.ToString(), e.ConversationUuid);
        }

        var update = await updated;
        await NotifyIfClaimedAsync(update, cancellationToken);
        if (e.Kind == VonageEventKind.Record && update is not null)
        {
            await recordings.SendIfNotArchivedAsync(update.Call, cancellationToken);
        }

        byte[]? reply = null;
        if (context is not null)
        {
            foreach (var hook in _hooks)
            {
                reply ??= await hook.AfterLedgerAsync(e, update?.Call, context, cancellationToken);
            }
        }

        return new EventReply(e, reply);
    }

    /// <exception cref="Common.ValidationException">The payload is malformed or lacks a field.</exception>
    public async Task<VonageEvent> HandleRecordingAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
        await HandleRecordingAsync(body, null, cancellationToken);

    /// <exception cref="Common.ValidationException">The payload is malformed or lacks a field.</exception>
    public async Task<VonageEvent> HandleRecordingAsync(ReadOnlyMemory<byte> body, EventContext? context, CancellationToken cancellationToken = default)
    {
        var recording = await ResolveAsync(CallEventParser.ParseRecording(body.Span, hosts.IsAllowed), context, cancellationToken);
        var stored = events.TryAddAsync(recording, body, cancellationToken);
        var updated = ledger.AttachRecordingAsync(recording, cancellationToken);
        await Task.WhenAll(stored, updated);

        // Vonage deletes recordings after 30 days: a message on `recordings` copies it into Blob Storage.
        await recordings.SendIfNotArchivedAsync((await updated).Call, cancellationToken);
        await NotifyIfClaimedAsync(await updated, cancellationToken);
        if ((await updated).Call.ProcessedAt is not null)
        {
            // Arrived after the call was processed: processing it again puts the recording in the reports and sends
            // it, once, to the sinks that carry it (the processor and the delivery ledger are idempotent per call).
            await notifier.ResendAsync(recording.ConversationUuid, cancellationToken);
        }

        return recording;
    }

    private async ValueTask<VonageEvent> ResolveAsync(VonageEvent e, EventContext? context, CancellationToken cancellationToken)
    {
        if (context is not null)
        {
            foreach (var hook in _hooks)
            {
                e = await hook.ResolveAsync(e, context, cancellationToken);
            }
        }

        return e;
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

/// <summary>The event as taken, and the NCCO to answer the webhook with (null: 204).</summary>
public sealed record EventReply(VonageEvent Event, byte[]? Ncco);
