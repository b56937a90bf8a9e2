using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace CallTracking.ProcessingBench;

/// <summary>Counts Table Storage round trips by kind (bench only: added to the bench's TableServiceClient).</summary>
public sealed class TableRequestCounter : HttpPipelineSynchronousPolicy
{
    private readonly ConcurrentDictionary<string, int> _counts = new();

    public int Total => _counts.Values.Sum();

    public IReadOnlyDictionary<string, int> ByKind => new SortedDictionary<string, int>(_counts);

    public void Reset() => _counts.Clear();

    public override void OnSendingRequest(HttpMessage message)
    {
        var path = message.Request.Uri.Path;
        var method = message.Request.Method.ToString();
        var kind = path.Contains("$batch", StringComparison.Ordinal) ? "batch (entity-group transaction)"
            : method == "GET" && path.Contains("PartitionKey=", StringComparison.Ordinal) ? "point read"
            : method == "GET" ? "query"
            : method == "POST" ? (path.TrimEnd('/').EndsWith("Tables", StringComparison.OrdinalIgnoreCase) ? "create table" : "insert")
            : method is "PUT" or "PATCH" or "MERGE" ? "update"
            : method;
        _counts.AddOrUpdate(kind, 1, (_, n) => n + 1);
    }
}
