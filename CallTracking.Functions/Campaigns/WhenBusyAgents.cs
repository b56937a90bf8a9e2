using System.Collections.Frozen;
using CallTracking.Functions.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Campaigns;

/// <summary>
/// The agent numbers whose availability the hold queue tracks: the agent of at least one campaign with
/// <c>whenBusy</c> (the hold queue only ever asks about those agents; for any other agent the event webhook skips the
/// <c>Agents</c> row's read, wait-list query and write). One query of the campaigns table, kept for
/// <c>CallTracking__CampaignCacheSeconds</c> like <see cref="CampaignDirectory"/>; concurrent refreshes share the
/// query, and admin writes in this process invalidate it at once (other instances follow within the TTL). A failed
/// query never skips an agent: every agent counts as tracked until a query succeeds (tried again after
/// <see cref="FailureRetry"/>). With a TTL of 0 (no campaign cache) every agent is tracked, as before this set.
/// </summary>
/// <remarks>
/// The edges, for an agent tracked here only from an admin change (at once on the instance that made it, within the
/// TTL on the others). Switched on: its <c>Agents</c> row may be missing, which <c>IsBusy</c> reads as free (the caller
/// is connected; should that connect fail the caller joins the wait list, and as the agent's current call was never
/// marked busy its end frees nothing: the next caller's re-check or <c>maxWaitSeconds</c> ends that wait), or left from
/// an earlier tracked period: a busy mark whose call the ledger shows over is freed when the next caller arrives
/// (<c>HoldQueueService.MustWaitAsync</c>), one older than <c>CallTracking__StaleCallMinutes</c> (a reservation: 5
/// minutes) is ignored, and <c>LastFreedCall</c> still keeps a late <c>answered</c> from marking a freed call busy.
/// Switched off: the row stays as it was, and nothing reads it; a caller still on the agent's wait list is no longer
/// transferred on the agent's free, and its <c>maxWaitSeconds</c> check ends the wait.
/// </remarks>
public sealed class WhenBusyAgents
{
    /// <summary>After a failed query, how long every agent counts as tracked before the next query.</summary>
    public static readonly TimeSpan FailureRetry = TimeSpan.FromSeconds(5);

    /// <summary>A shared query gives up after this, so a hung storage call cannot pin every event's check.</summary>
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(10);

    private readonly CampaignStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<WhenBusyAgents> _logger;
    private readonly long _ttl;
    private readonly long _failureTtl;
    private readonly object _sync = new();

    private Snapshot? _current;
    private Task<Snapshot>? _loading;

    // Bumped by every invalidation: a query that started before it must not be kept, nor joined by later checks.
    private long _generation;

    public WhenBusyAgents(CampaignStore store, TimeProvider time, IOptions<CallTrackingOptions> options, ILogger<WhenBusyAgents> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        var ttl = TimeSpan.FromSeconds(options.Value.CampaignCacheSeconds);
        _ttl = ToTimestampSpan(ttl);
        _failureTtl = ToTimestampSpan(ttl < FailureRetry ? ttl : FailureRetry);
    }

    /// <summary>
    /// Whether the hold queue keeps <paramref name="agent"/>'s availability (E.164 with '+'). Completes synchronously
    /// while the set is fresh; true when the campaigns could not be read.
    /// </summary>
    public ValueTask<bool> IsTrackedAsync(string agent, CancellationToken cancellationToken = default)
    {
        if (_ttl <= 0)
        {
            return new ValueTask<bool>(true);
        }

        var current = Volatile.Read(ref _current);
        return current is not null && current.ExpiresAt > _time.GetTimestamp()
            ? new ValueTask<bool>(current.Contains(agent))
            : ContainsAfterLoadAsync(agent, cancellationToken);
    }

    /// <summary>Forgets the set: the next check queries the campaigns again (an admin write in this process).</summary>
    public void Invalidate()
    {
        lock (_sync)
        {
            _generation++;
            _current = null;
            _loading = null;
        }
    }

    private async ValueTask<bool> ContainsAfterLoadAsync(string agent, CancellationToken cancellationToken) =>
        (await LoadShared().WaitAsync(cancellationToken)).Contains(agent);

    private Task<Snapshot> LoadShared()
    {
        lock (_sync)
        {
            if (_current is { } current && current.ExpiresAt > _time.GetTimestamp())
            {
                return Task.FromResult(current);
            }

            return _loading ??= LoadAsync(_generation);
        }
    }

    private async Task<Snapshot> LoadAsync(long generation)
    {
        // Off the caller's stack and not the caller's token: other checks share this query.
        await Task.Yield();
        Snapshot snapshot;
        try
        {
            using var timeout = new CancellationTokenSource(LoadTimeout, _time);
            var campaigns = await _store.ListAsync(timeout.Token);
            var agents = campaigns.Where(c => c.WhenBusy is not null).Select(c => c.AgentNumber).ToFrozenSet(StringComparer.Ordinal);
            snapshot = new Snapshot(agents, _time.GetTimestamp() + _ttl);
        }
        catch (Exception ex)
        {
            // Fail safe: an agent skipped by mistake would let a whenBusy campaign's callers through to a busy agent.
            _logger.LogWarning(ex, "Hold queue: the campaigns could not be read; every agent's availability is kept for {Seconds}s",
                FailureRetry.TotalSeconds);
            snapshot = new Snapshot(null, _time.GetTimestamp() + _failureTtl);
        }

        lock (_sync)
        {
            if (_generation == generation)
            {
                _current = snapshot;
                _loading = null;
            }
        }

        return snapshot;
    }

    private long ToTimestampSpan(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    /// <param name="Agents">Null: the campaigns could not be read, so every agent is tracked.</param>
    private sealed record Snapshot(FrozenSet<string>? Agents, long ExpiresAt)
    {
        public bool Contains(string agent) => Agents?.Contains(agent) ?? true;
    }
}
