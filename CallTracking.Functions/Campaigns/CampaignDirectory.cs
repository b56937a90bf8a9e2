using System.Collections.Concurrent;
using CallTracking.Functions.Common;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Campaigns;

/// <summary>
/// The answer path's campaign lookup: an in-process cache keyed by tracking number (TTL
/// <c>CallTracking__CampaignCacheSeconds</c>; unknown numbers are cached briefly too), one point read on a miss,
/// and concurrent misses for one number share that read. Admin writes made in this process invalidate at once;
/// other instances see them within the TTL.
/// </summary>
public sealed class CampaignDirectory
{
    /// <summary>Unknown numbers are remembered at most this long, so a newly created campaign answers soon.</summary>
    public static readonly TimeSpan MaxNegativeTtl = TimeSpan.FromSeconds(5);

    /// <summary>A shared load gives up after this, so a hung storage call cannot pin a number's lookups.</summary>
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(10);

    private readonly CampaignStore _store;
    private readonly TimeProvider _time;
    private readonly long _ttl;
    private readonly long _negativeTtl;
    private readonly ConcurrentDictionary<string, Entry> _byNumber = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<Campaign?>> _loads = new(StringComparer.Ordinal);

    // Bumped by every invalidation: a load that started before it must not cache what it read.
    private long _generation;

    public CampaignDirectory(CampaignStore store, TimeProvider time, IOptions<CallTrackingOptions> options)
    {
        _store = store;
        _time = time;
        var ttl = TimeSpan.FromSeconds(options.Value.CampaignCacheSeconds);
        _ttl = ToTimestampSpan(ttl);
        _negativeTtl = ToTimestampSpan(ttl < MaxNegativeTtl ? ttl : MaxNegativeTtl);
    }

    /// <summary>The campaign owning <paramref name="trackingNumber"/> (E.164 with '+'), or null. Completes synchronously on a hit.</summary>
    /// <exception cref="Exception">Storage errors and corrupt rows propagate; the caller decides the fallback.</exception>
    public ValueTask<Campaign?> FindByTrackingNumberAsync(string trackingNumber)
    {
        if (_byNumber.TryGetValue(trackingNumber, out var entry) && entry.ExpiresAt > _time.GetTimestamp())
        {
            return new ValueTask<Campaign?>(entry.Campaign);
        }

        return new ValueTask<Campaign?>(LoadShared(trackingNumber));
    }

    /// <summary>The campaign with <paramref name="id"/> (cached like numbers; used by the whisper webhook).</summary>
    public async ValueTask<Campaign?> FindByIdAsync(string id, CancellationToken cancellationToken = default)
    {
        if (_byId.TryGetValue(id, out var entry) && entry.ExpiresAt > _time.GetTimestamp())
        {
            return entry.Campaign;
        }

        var generation = Interlocked.Read(ref _generation);
        var campaign = await _store.GetAsync(id, cancellationToken);
        if (campaign is not null && _ttl > 0 && Interlocked.Read(ref _generation) == generation)
        {
            _byId[id] = new Entry(campaign, _time.GetTimestamp() + _ttl);
        }

        return campaign;
    }

    /// <summary>Forgets everything cached about the campaign (its id, its number, and any number it had before).</summary>
    public void Invalidate(string campaignId, string? trackingNumber = null)
    {
        Interlocked.Increment(ref _generation);
        _byId.TryRemove(campaignId, out _);
        if (trackingNumber is not null)
        {
            _byNumber.TryRemove(trackingNumber, out _);
        }

        // Admin path only: a scan finds the campaign's old number after a number change.
        foreach (var (number, entry) in _byNumber)
        {
            if (entry.Campaign?.Id == campaignId)
            {
                _byNumber.TryRemove(number, out _);
            }
        }
    }

    /// <summary>
    /// Caches every campaign by number and id from one query (start-up warm-up, <see cref="CampaignDirectoryWarmUp"/>),
    /// so the first calls are cache hits. Numbers with no campaign are not cached here; anything cached or invalidated
    /// meanwhile wins.
    /// </summary>
    public async Task PreloadAsync(CancellationToken cancellationToken = default)
    {
        if (_ttl <= 0)
        {
            return;
        }

        var generation = Interlocked.Read(ref _generation);
        var campaigns = await _store.ListAsync(cancellationToken);
        if (Interlocked.Read(ref _generation) != generation)
        {
            return;
        }

        var expiresAt = _time.GetTimestamp() + _ttl;
        var added = new List<(ConcurrentDictionary<string, Entry> Cache, string Key, Entry Entry)>();
        foreach (var campaign in campaigns)
        {
            var entry = new Entry(campaign, expiresAt);
            if (_byNumber.TryAdd(campaign.TrackingNumber, entry))
            {
                added.Add((_byNumber, campaign.TrackingNumber, entry));
            }

            if (_byId.TryAdd(campaign.Id, entry))
            {
                added.Add((_byId, campaign.Id, entry));
            }
        }

        // An admin write that invalidated while these were added: take back what this (older) read put in.
        if (Interlocked.Read(ref _generation) != generation)
        {
            foreach (var (cache, key, entry) in added)
            {
                cache.TryRemove(new KeyValuePair<string, Entry>(key, entry));
            }
        }
    }

    /// <summary>Puts a campaign in the cache without storage (benchmarks and warm-up); it never expires.</summary>
    internal void Seed(Campaign campaign) => _byNumber[campaign.TrackingNumber] = new Entry(campaign, long.MaxValue);

    private Task<Campaign?> LoadShared(string trackingNumber)
    {
        while (true)
        {
            if (_loads.TryGetValue(trackingNumber, out var running))
            {
                return running;
            }

            var completion = new TaskCompletionSource<Campaign?>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_loads.TryAdd(trackingNumber, completion.Task))
            {
                _ = LoadAsync(trackingNumber, completion);
                return completion.Task;
            }
        }
    }

    private async Task LoadAsync(string trackingNumber, TaskCompletionSource<Campaign?> completion)
    {
        var generation = Interlocked.Read(ref _generation);
        try
        {
            // Not the caller's token: other callers share this load.
            using var timeout = new CancellationTokenSource(LoadTimeout, _time);
            var campaign = await _store.FindByTrackingNumberAsync(trackingNumber, timeout.Token);
            var ttl = campaign is null ? _negativeTtl : _ttl;
            if (ttl > 0 && Interlocked.Read(ref _generation) == generation)
            {
                _byNumber[trackingNumber] = new Entry(campaign, _time.GetTimestamp() + ttl);
            }

            completion.TrySetResult(campaign);
        }
        catch (Exception ex)
        {
            completion.TrySetException(ex);
        }
        finally
        {
            _loads.TryRemove(new KeyValuePair<string, Task<Campaign?>>(trackingNumber, completion.Task));
        }
    }

    private long ToTimestampSpan(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private sealed record Entry(Campaign? Campaign, long ExpiresAt);
}
