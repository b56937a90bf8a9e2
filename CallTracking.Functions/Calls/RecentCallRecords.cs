using System.Collections.Concurrent;
using System.Reflection;

namespace CallTracking.Functions.Calls;

/// <summary>
/// The call rows this instance last read or wrote, with their ETags, so that the next event of the same call can
/// write without reading first (<see cref="CallStore.UpdateAsync"/>): the write is ETag-conditional, so a copy that
/// someone else has changed since only costs the lost race and a fresh read, exactly the path without the cache.
/// Bounded (two generations of <see cref="GenerationSize"/>): a call's events come within minutes.
/// </summary>
public sealed class RecentCallRecords
{
    public const int GenerationSize = 2048;

    // CallRecord holds only immutable values (strings, numbers, dates, the ETag), so a shallow copy is a full copy.
    // MemberwiseClone through a delegate keeps the shared CallRecord class untouched.
    private static readonly Func<object, object> Clone = typeof(object)
        .GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic)!
        .CreateDelegate<Func<object, object>>();

    private readonly RecentEntries<CallRecord> _entries = new(GenerationSize);

    /// <summary>A private copy of the row as this instance last saw it, or null.</summary>
    public CallRecord? TryGet(string callId) => _entries.TryGet(callId) is { } call ? Copy(call) : null;

    /// <summary>Remembers a copy of the row as stored (with the ETag storage returned).</summary>
    public void Remember(CallRecord call) => _entries.Set(call.PartitionKey, Copy(call));

    public void Forget(string callId) => _entries.Remove(callId);

    private static CallRecord Copy(CallRecord call) => (CallRecord)Clone(call);
}

/// <summary>A small two-generation map: when the current generation is full it becomes the old one, the older is dropped.</summary>
public sealed class RecentEntries<T>(int generationSize)
    where T : class
{
    private readonly object _swap = new();
    private ConcurrentDictionary<string, T> _current = new(StringComparer.Ordinal);
    private ConcurrentDictionary<string, T> _previous = new(StringComparer.Ordinal);
    private int _count;

    public T? TryGet(string key) =>
        _current.TryGetValue(key, out var value) || _previous.TryGetValue(key, out value) ? value : null;

    public void Set(string key, T value)
    {
        var current = _current;
        if (!current.TryAdd(key, value))
        {
            current[key] = value;
            return;
        }

        // A counter rather than ConcurrentDictionary.Count, which takes every lock of the map.
        if (Interlocked.Increment(ref _count) >= generationSize)
        {
            lock (_swap)
            {
                if (ReferenceEquals(current, _current))
                {
                    _previous = current;
                    _current = new ConcurrentDictionary<string, T>(StringComparer.Ordinal);
                    Interlocked.Exchange(ref _count, 0);
                }
            }
        }
    }

    public void Remove(string key)
    {
        _current.TryRemove(key, out _);
        _previous.TryRemove(key, out _);
    }
}
