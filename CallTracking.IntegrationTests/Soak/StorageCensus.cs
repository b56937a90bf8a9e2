using Azure.Data.Tables;
using Azure.Storage.Queues;
using CallTracking.Functions.Common;

namespace CallTracking.Tests.Soak;

/// <summary>Rows per table and messages per queue (visible or not) of the app's queues.</summary>
public sealed record StorageCensus(IReadOnlyDictionary<string, int> Rows, IReadOnlyDictionary<string, int> Messages)
{
    public const string CallbacksPoisonQueue = StorageNames.CallbacksQueue + "-poison";

    public static readonly string[] Queues =
        [StorageNames.CallsCompletedQueue, StorageNames.CallsCompletedPoisonQueue, StorageNames.CallbacksQueue, CallbacksPoisonQueue];

    public static async Task<StorageCensus> TakeAsync(TableServiceClient tables, QueueServiceClient queues)
    {
        var rows = new SortedDictionary<string, int>(StringComparer.Ordinal);
        await foreach (var table in tables.QueryAsync())
        {
            var count = 0;
            await foreach (var _ in tables.GetTableClient(table.Name).QueryAsync<TableEntity>(select: ["PartitionKey"]))
            {
                count++;
            }

            rows[table.Name] = count;
        }

        var messages = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in Queues)
        {
            var queue = queues.GetQueueClient(name);
            messages[name] = await queue.ExistsAsync() ? (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount : 0;
        }

        return new StorageCensus(rows, messages);
    }

    public override string ToString() =>
        string.Join(", ", Rows.Select(r => $"{r.Key}={r.Value}")) + "; " + string.Join(", ", Messages.Select(m => $"{m.Key}={m.Value}"));
}
