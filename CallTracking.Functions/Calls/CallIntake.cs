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
    LiveCallIndex liveCalls,
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
        var (update, stored) = await StoreAsync(e, body, cancellationToken);
        if (!stored)
        {
            logger.LogDebug("Duplicate {Status} event for call {CallId}", e.Status ?? e.Kind.ToString(), e.ConversationUuid);
        }

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
        // The raw payload and the ledger change: one transaction on the call's partition.
        var updated = await ledger.AttachRecordingAsync(recording, events.RowOf(recording, body), cancellationToken);

        // Vonage deletes recordings after 30 days: a message on `recordings` copies it into Blob Storage.
        await recordings.SendIfNotArchivedAsync(updated.Call, cancellationToken);
        await NotifyIfClaimedAsync(updated, cancellationToken);
        if (updated.Call.ProcessedAt is not null)
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

    /// <summary>
    /// Keeps the raw event and applies it to the ledger: one transaction on the call's partition when the ledger
    /// changes (<see cref="CallStore"/>). Stored is false for a duplicate event.
    /// </summary>
    private async Task<(LedgerUpdate? Update, bool Stored)> StoreAsync(VonageEvent e, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (e.Kind == VonageEventKind.Status)
        {
            var update = await ledger.ApplyEventAsync(e, events.RowOf(e, body), cancellationToken);
            return (update, update.EventAdded);
        }

        // A record action without its own eventUrl reports here: attach the recording all the same.
        if (e.Kind == VonageEventKind.Record && e.RecordingUuid is not null && e.RecordingUrl is not null)
        {
            var update = await ledger.AttachRecordingAsync(e, events.RowOf(e, body), cancellationToken);
            return (update, update.EventAdded);
        }

        // Input, transfer, error, notify: kept as raw events only.
        return (null, await events.TryAddAsync(e, body, cancellationToken));
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

/// <summary>The event as taken, and the NCCO to answer the webhook with (null: 204).</summary>
public sealed record EventReply(VonageEvent Event, byte[]? Ncco);
