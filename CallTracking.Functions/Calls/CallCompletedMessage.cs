using System.Text.Json.Serialization;

namespace CallTracking.Functions.Calls;

/// <summary>
/// The one message per finished call on the <c>calls-completed</c> queue (JSON, base64-encoded by the queue client).
/// Carries only the id: the processor always reads the current state of the call from the ledger.
/// </summary>
public sealed record CallCompletedMessage([property: JsonPropertyName("callId")] string CallId);
