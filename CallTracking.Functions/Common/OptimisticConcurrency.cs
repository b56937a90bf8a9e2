using System.Net;
using Azure;

namespace CallTracking.Functions.Common;

/// <summary>
/// The one retry policy for ETag read-modify-write loops: read, change, write with a condition; when someone else
/// wrote first, back off and do it all again from a fresh read.
/// <para>
/// Policy: at most <see cref="MaxAttempts"/> attempts; before retry <c>n</c> a delay drawn uniformly from
/// [½, 1] × min(<see cref="BaseDelay"/> × 2^(n-1), <see cref="MaxDelay"/>) (10–20 ms, 20–40 ms, … up to 250–500 ms).
/// A loser always yields at least half its window, so it does not re-read before the winner's write lands; the
/// jitter spreads losers apart so they do not collide again. All retries together wait at most about 2.1 s, which
/// keeps even an exhausted webhook well inside Vonage's timeout. Ten attempts outlast the contention any one row
/// sees (a call's webhooks arriving together, one caller's overlapping calls, the few instances committing a
/// campaign's report batch); beyond that, <see cref="ConcurrencyConflictException"/> fails the invocation and the
/// webhook or queue message is retried by its sender, later, with nothing lost.
/// </para>
/// </summary>
/// <param name="delays">
/// Times the back-off. Production uses the system clock, never the app's <see cref="TimeProvider"/> service: tests
/// freeze that business clock, and a back-off on a frozen clock would never end.
/// </param>
public sealed class OptimisticConcurrency(TimeProvider delays)
{
    public const int MaxAttempts = 10;

    public static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(10);

    public static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Runs <paramref name="readModifyWrite"/> until it completes. It reports a lost race either by returning
    /// <see cref="Attempt{T}.LostRace"/> or by letting a conditional write's <see cref="RequestFailedException"/>
    /// escape (see <see cref="IsLostRace"/>); any other exception ends the loop at once.
    /// </summary>
    /// <param name="entity">What is being updated, for the exception when the attempts run out (e.g. "Call CON-1").</param>
    /// <exception cref="ConcurrencyConflictException">Every attempt lost its race.</exception>
    public async Task<T> RunAsync<T>(string entity, Func<CancellationToken, Task<Attempt<T>>> readModifyWrite, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            Exception? lostTo;
            try
            {
                var result = await readModifyWrite(cancellationToken);
                if (result.Completed)
                {
                    return result.Value;
                }

                lostTo = result.Cause;
            }
            catch (RequestFailedException ex) when (IsLostRace(ex))
            {
                lostTo = ex;
            }

            if (attempt >= MaxAttempts)
            {
                throw new ConcurrencyConflictException(entity, attempt, lostTo);
            }

            await Task.Delay(Backoff(attempt), delays, cancellationToken);
        }
    }

    /// <summary>The delay after <paramref name="failedAttempts"/> lost races: half to all of an exponentially growing, capped window.</summary>
    public static TimeSpan Backoff(int failedAttempts)
    {
        var window = BackoffWindow(failedAttempts);
        return window * (0.5 + (Random.Shared.NextDouble() * 0.5));
    }

    /// <summary>The upper bound of <see cref="Backoff"/>: <see cref="BaseDelay"/> doubled per lost race, at most <see cref="MaxDelay"/>.</summary>
    public static TimeSpan BackoffWindow(int failedAttempts)
    {
        var doublings = Math.Clamp(failedAttempts - 1, 0, 30);
        var window = BaseDelay * Math.Pow(2, doublings);
        return window < MaxDelay ? window : MaxDelay;
    }

    /// <summary>
    /// A conditional write that lost to another writer: 409 (the row was inserted first), 412 (it changed since it
    /// was read) or 404 for a row (deleted since it was read). A missing table or queue is not a race: storage
    /// initialisation handles that (<see cref="MissingStorageRecovery"/>).
    /// </summary>
    public static bool IsLostRace(RequestFailedException ex) =>
        ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed
        || (ex.Status == (int)HttpStatusCode.NotFound && !MissingStorageRecovery.IsMissingStorageCode(ex.ErrorCode));
}

/// <summary>What one read-modify-write attempt achieved: done with a result, or lost to another writer.</summary>
public readonly struct Attempt<T>
{
    private Attempt(bool completed, T value, Exception? cause)
    {
        Completed = completed;
        Value = value;
        Cause = cause;
    }

    public bool Completed { get; }

    public T Value { get; }

    /// <summary>Why a lost attempt lost, when known (kept as the inner exception if every attempt loses).</summary>
    public Exception? Cause { get; }

    /// <summary>Someone else wrote first: read again and retry.</summary>
    public static Attempt<T> LostRace(Exception? cause = null) => new(false, default!, cause);

    public static Attempt<T> Done(T value) => new(true, value, null);
}

/// <summary>Creates <see cref="Attempt{T}"/> values with the type inferred.</summary>
public static class Attempt
{
    public static Attempt<T> Done<T>(T value) => Attempt<T>.Done(value);
}

/// <summary>An optimistic update lost every one of its races: the entity is under heavier contention than the policy allows.</summary>
public sealed class ConcurrencyConflictException(string entity, int attempts, Exception? lastConflict)
    : Exception($"{entity} kept changing under concurrent updates: gave up after {attempts} attempts.", lastConflict)
{
    public string Entity { get; } = entity;

    public int Attempts { get; } = attempts;
}
