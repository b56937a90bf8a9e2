using System.Text;
using System.Text.Json;

namespace CallTracking.Functions.Calls;

/// <summary>Packs the call ids of a batch of started calls into as few <c>calls-watchdog</c> messages as fit.</summary>
public static class WatchdogMessages
{
    /// <summary>
    /// The most JSON one message may hold: a queue message is at most 64 KiB as stored, and ours are Base64 (the queue
    /// trigger's <c>messageEncoding</c>), 4 characters per 3 bytes, so 48 KiB of JSON; 1 KiB of it left as headroom.
    /// A batch of 100 typical conversation ids is about 4.5 KB: the split only matters for unusually long ids.
    /// </summary>
    public const int MaxJsonBytes = (64 * 1024 / 4 * 3) - 1024;

    // {"callIds":[]}
    private const int EnvelopeBytes = 14;

    /// <summary>One message per run of ids that fits <see cref="MaxJsonBytes"/>, in order; an id too long for any message goes alone.</summary>
    public static IEnumerable<CallWatchdogMessage> Split(IEnumerable<string> callIds)
    {
        var chunk = new List<string>();
        var size = EnvelopeBytes;
        foreach (var callId in callIds)
        {
            // As the serializer writes it (escaped), plus the comma before it.
            var idBytes = Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(callId)) + 1;
            if (chunk.Count > 0 && size + idBytes > MaxJsonBytes)
            {
                yield return new CallWatchdogMessage(null, chunk);
                chunk = [];
                size = EnvelopeBytes;
            }

            chunk.Add(callId);
            size += idBytes;
        }

        if (chunk.Count > 0)
        {
            yield return new CallWatchdogMessage(null, chunk);
        }
    }
}
