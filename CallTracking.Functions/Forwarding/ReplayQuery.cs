using System.Text.RegularExpressions;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Forwarding;

/// <summary>The failed-delivery half of the replay route's query, checked field by field.</summary>
public static partial class ReplayQuery
{
    /// <exception cref="ValidationException"><c>failed</c> is neither true nor false.</exception>
    public static bool Failed(string? value) => value switch
    {
        null or "" => false,
        _ when bool.TryParse(value, out var failed) => failed,
        _ => throw new ValidationException("failed", "Must be true or false."),
    };

    /// <exception cref="ValidationException">No call, a malformed sink name, or a queue given as well.</exception>
    public static (string CallId, string? Sink) ForFailed(string? callId, string? sink, string? queue)
    {
        if (string.IsNullOrEmpty(callId))
        {
            throw new ValidationException("call", "Is required with failed=true: failed deliveries are re-sent one call at a time.");
        }

        if (!string.IsNullOrEmpty(queue))
        {
            throw new ValidationException("queue", "Does not apply with failed=true (failed deliveries are re-sent through calls-completed).");
        }

        if (sink is not null && !SinkName().IsMatch(sink))
        {
            throw new ValidationException("sink", "Must be a sink name such as mixpanel, mixpanel-people, impact or segment.");
        }

        return (callId, string.IsNullOrEmpty(sink) ? null : sink);
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,39}$")]
    private static partial Regex SinkName();
}
