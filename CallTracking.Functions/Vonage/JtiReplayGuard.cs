using System.Collections.Concurrent;

namespace CallTracking.Functions.Vonage;

/// <summary>
/// Remembers recently accepted token ids (<c>jti</c>) so a captured webhook cannot be replayed while its
/// <c>iat</c> is still inside the accepted window. Per instance and in memory: a replay to another instance,
/// or after a restart, is not caught (the <c>iat</c> window still bounds it, and every handler is idempotent).
/// Bounded: past <paramref name="capacity"/> the oldest entries are dropped early.
/// </summary>
public sealed class JtiReplayGuard(int capacity)
{
    private readonly ConcurrentDictionary<string, long> _seen = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<KeyValuePair<string, long>> _order = new();

    public int Count => _seen.Count;

    /// <summary>True the first time <paramref name="jti"/> is seen before <paramref name="expiresAt"/>.</summary>
    public bool TryReserve(string jti, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        var nowSeconds = now.ToUnixTimeSeconds();
        Evict(nowSeconds);
        var expiry = expiresAt.ToUnixTimeSeconds();
        while (!_seen.TryAdd(jti, expiry))
        {
            if (!_seen.TryGetValue(jti, out var existing))
            {
                continue;
            }

            if (existing > nowSeconds || !_seen.TryUpdate(jti, expiry, existing))
            {
                return false;
            }

            break;
        }

        _order.Enqueue(new KeyValuePair<string, long>(jti, expiry));
        return true;
    }

    /// <summary>Forgets a reservation, so a request that failed on our side may be retried with the same token.</summary>
    public void Release(string jti) => _seen.TryRemove(jti, out _);

    private void Evict(long nowSeconds)
    {
        while (_order.TryPeek(out var oldest) && (oldest.Value <= nowSeconds || _order.Count > capacity))
        {
            if (_order.TryDequeue(out var removed))
            {
                // Only if the entry is still the one queued (not re-reserved with a later expiry).
                _seen.TryRemove(removed);
            }
        }
    }
}
