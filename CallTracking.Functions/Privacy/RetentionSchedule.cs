using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using CallTracking.Functions.Common;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Privacy;

/// <summary>One due run of the retention purge on <c>retention</c>.</summary>
public sealed record RetentionMessage([property: JsonPropertyName("due")] DateTimeOffset Due);

/// <summary>
/// Runs <see cref="RetentionPurger"/> once a day as a self-rescheduling delayed queue message rather than a timer
/// trigger: it works the same under the real Functions host, the local host (neither needs timer support) and in Azure,
/// and a queue message brings retries, poison and replay for free. One run at a time, once per due time: a run claims
/// its due time in the schedule row (<c>PrivacyAudit</c>, ETag-conditional) with a lease; a duplicate message for a
/// completed or leased due time does nothing, and a crashed run's own message, redelivered after its lease, takes over.
/// The chain is started (and restarted if it was lost, e.g. a message replayed too late) by <see cref="EnsureScheduledAsync"/>
/// at worker start-up.
/// </summary>
public sealed class RetentionSchedule(
    TableServiceClient tables,
    QueueServiceClient queues,
    RetentionPurger purger,
    TimeProvider time,
    ILogger<RetentionSchedule> logger)
{
    public const string Partition = "retention";
    public const string RowKey = "schedule";

    public static readonly TimeSpan Interval = TimeSpan.FromDays(1);

    /// <summary>The first run after a fresh start: not at once, so a deployment (or a test host) is not busy purging.</summary>
    public static readonly TimeSpan FirstRunDelay = TimeSpan.FromHours(1);

    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    private readonly TableClient _table = tables.GetTableClient(StorageNames.PrivacyAuditTable);
    private readonly QueueClient _queue = queues.GetQueueClient(StorageNames.RetentionQueue);

    /// <summary>Runs the purge for <paramref name="message"/>'s due time unless it ran or is running; null when skipped.</summary>
    public async Task<RetentionResult?> RunAsync(RetentionMessage message, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var row = await ReadAsync(cancellationToken);
        if (row?.GetDateTimeOffset("CompletedDue") >= message.Due
            || (row?.GetDateTimeOffset("LeaseDue") == message.Due && row.GetDateTimeOffset("LeaseUntil") > now))
        {
            logger.LogDebug("Retention run due {Due:o} already done or running; skipped", message.Due);
            return null;
        }

        var claim = row ?? new TableEntity(Partition, RowKey);
        claim["LeaseDue"] = message.Due;
        claim["LeaseUntil"] = now + Lease;
        if (!await TryWriteAsync(claim, row is null, cancellationToken))
        {
            return null; // another run claimed it first
        }

        var result = await purger.PurgeAsync(cancellationToken);

        // Next run first, then completion: a crash in between repeats the (idempotent) purge, never loses the chain.
        var next = message.Due + Interval;
        await SendAsync(next, cancellationToken);
        claim["CompletedDue"] = message.Due;
        claim["NextDue"] = next;
        claim["LastResult"] = JsonSerializer.Serialize(result);
        await _table.UpdateEntityAsync(claim, ETag.All, TableUpdateMode.Merge, cancellationToken);
        return result;
    }

    /// <summary>Starts the daily chain when there is none, or it was lost (its next run is long overdue).</summary>
    public async Task EnsureScheduledAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var row = await ReadAsync(cancellationToken);
        if (row?.GetDateTimeOffset("NextDue") is { } nextDue && nextDue > now - Interval)
        {
            return;
        }

        var due = now + FirstRunDelay;
        var schedule = row ?? new TableEntity(Partition, RowKey);
        schedule["NextDue"] = due;
        if (await TryWriteAsync(schedule, row is null, cancellationToken))
        {
            await SendAsync(due, cancellationToken);
            logger.LogInformation("Retention purge scheduled daily from {Due:o}", due);
        }
    }

    private async Task SendAsync(DateTimeOffset due, CancellationToken cancellationToken)
    {
        // A queue message stays invisible for at most 7 days.
        var delay = due - time.GetUtcNow();
        var visibility = delay < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : delay > TimeSpan.FromDays(7) ? TimeSpan.FromDays(7) : delay;
        await _queue.SendMessageAsync(JsonSerializer.Serialize(new RetentionMessage(due)), visibility, cancellationToken: cancellationToken);
    }

    private async Task<TableEntity?> ReadAsync(CancellationToken cancellationToken)
    {
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, RowKey, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }

    private async Task<bool> TryWriteAsync(TableEntity row, bool insert, CancellationToken cancellationToken)
    {
        try
        {
            var response = insert
                ? await _table.AddEntityAsync(row, cancellationToken)
                : await _table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken);
            row.ETag = response.Headers.ETag ?? default;
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
        {
            return false;
        }
    }
}

/// <summary>Starts the retention chain once the worker is up (storage creation runs before, in StartingAsync).</summary>
public sealed class RetentionStartup(RetentionSchedule schedule, StorageInitializer storage, ILogger<RetentionStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await storage.EnsureCreatedAsync(stoppingToken);
            await schedule.EnsureScheduledAsync(stoppingToken);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // Not fatal: the next start tries again, and the app works without it (data is only kept longer).
            logger.LogWarning(ex, "Could not schedule the retention purge");
        }
    }
}
