namespace CallTracking.Functions.Calls;

/// <summary>Where a webhook delivery came from: its URL (query included), for hooks that read a marker from it.</summary>
public sealed record EventContext(Uri RequestUrl);

/// <summary>
/// A feature that joins the event and recording webhooks (e.g. the hold queue) without the intake knowing it:
/// it may re-key an event to the call it belongs to before anything is stored, and act after the ledger update,
/// optionally answering with an NCCO (the reply to a synchronous <c>connect</c>'s event).
/// </summary>
public interface ICallEventHook
{
    /// <summary>The event, or a copy with <see cref="VonageEvent.ConversationUuid"/> set to the call it belongs to.</summary>
    ValueTask<VonageEvent> ResolveAsync(VonageEvent e, EventContext context, CancellationToken cancellationToken);

    /// <summary>Runs after the ledger took the event; returns an NCCO to answer the webhook with, or null.</summary>
    ValueTask<byte[]?> AfterLedgerAsync(VonageEvent e, CallRecord? call, EventContext context, CancellationToken cancellationToken);
}

/// <summary>Told when the stale-call watchdog closes a call whose final events never arrived (e.g. to free its agent).</summary>
public interface ICallClosedHook
{
    Task OnClosedAsync(CallRecord call, CancellationToken cancellationToken);
}
