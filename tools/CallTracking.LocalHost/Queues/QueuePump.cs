using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using CallTracking.LocalHost.Configuration;
using CallTracking.LocalHost.Functions;
using CallTracking.LocalHost.Rpc;
using CallTracking.LocalHost.Worker;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace CallTracking.LocalHost.Queues;

/// <summary>
/// Feeds one queue-triggered function from storage with the Functions host's semantics (host.json
/// <c>extensions.queues</c>): batches of <c>batchSize</c>; base64 bodies (a body that is not base64 goes straight
/// to the poison queue, as on the host); on success the outputs are written and the message deleted; on failure
/// it becomes visible again after <c>visibilityTimeout</c>, and after <c>maxDequeueCount</c> attempts it moves to
/// <c>&lt;queue&gt;-poison</c>. Polling backs off to <c>maxPollingInterval</c> while the queue is empty.
/// </summary>
public sealed class QueuePump(
    FunctionDescriptor function,
    QueueConnections connections,
    QueueOptions options,
    IFunctionInvoker invoker,
    QueueOutputWriter outputs,
    TimeSpan functionTimeout,
    ILogger logger)
{
    public const string PoisonSuffix = "-poison";
    private const int MaxQueueNameLength = 63;
    private static readonly TimeSpan FirstSettleRetryDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxSettleRetryDelay = TimeSpan.FromSeconds(5);
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly QueueTrigger _trigger = function.Queue
        ?? throw new ArgumentException($"Function '{function.Name}' has no queue trigger", nameof(function));

    public string QueueName => _trigger.QueueName;

    /// <summary>Null when the queue is itself a poison queue or the suffixed name would be too long.</summary>
    public string? PoisonQueueName { get; } = PoisonQueueFor(function.Queue!.QueueName);

    public static string? PoisonQueueFor(string queue) =>
        queue.EndsWith(PoisonSuffix, StringComparison.OrdinalIgnoreCase) || queue.Length + PoisonSuffix.Length > MaxQueueNameLength
            ? null
            : queue + PoisonSuffix;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (!cancellationToken.IsCancellationRequested)
        {
            int processed;
            try
            {
                processed = await PollOnceAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Polling queue '{Queue}' for {Function} failed: {Error}", QueueName, function.Name, ex.Message);
                processed = 0;
                delay = options.MaxPollingInterval;
            }

            if (processed > 0)
            {
                delay = TimeSpan.FromMilliseconds(100);
                continue;
            }

            try
            {
                await Task.Delay(delay, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxPollingInterval.Ticks));
        }
    }

    /// <summary>Receives one batch and processes it to the end; returns how many messages it got.</summary>
    public async Task<int> PollOnceAsync(CancellationToken cancellationToken)
    {
        var queue = await connections.GetAsync(_trigger.Connection, QueueName, raw: true, cancellationToken);
        // Invisible to others while it runs: at least as long as a function may run.
        var processingVisibility = functionTimeout + TimeSpan.FromMinutes(1);
        QueueMessage[] messages = await queue.ReceiveMessagesAsync(options.BatchSize, processingVisibility, cancellationToken);
        if (messages.Length == 0)
        {
            return 0;
        }

        // Our pop receipts are good until the visibility we asked for ends (less a margin for clock and latency).
        var receiptExpires = DateTimeOffset.UtcNow + processingVisibility - TimeSpan.FromSeconds(30);
        await Task.WhenAll(messages.Select(m => ProcessAsync(queue, m, receiptExpires, cancellationToken)));
        return messages.Length;
    }

    private async Task ProcessAsync(QueueClient queue, QueueMessage message, DateTimeOffset receiptExpires, CancellationToken cancellationToken)
    {
        try
        {
            if (message.DequeueCount > options.MaxDequeueCount)
            {
                await MoveToPoisonAsync(queue, message, "it was dequeued more often than maxDequeueCount", receiptExpires, cancellationToken);
                return;
            }

            if (!TryDecode(message, out var body))
            {
                await MoveToPoisonAsync(queue, message, "its body is not valid base64 (set messageEncoding or send base64)", receiptExpires,
                    cancellationToken);
                return;
            }

            var request = CreateInvocation(message, body);
            var succeeded = await InvokeAsync(request, message, cancellationToken);
            if (succeeded)
            {
                await SettleAsync("delete", message, receiptExpires,
                    () => queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken), cancellationToken);
            }
            else if (message.DequeueCount >= options.MaxDequeueCount)
            {
                await MoveToPoisonAsync(queue, message, $"it failed {message.DequeueCount} times (maxDequeueCount)", receiptExpires, cancellationToken);
            }
            else
            {
                await SettleAsync("release", message, receiptExpires,
                    () => queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: options.VisibilityTimeout,
                        cancellationToken: cancellationToken), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the message becomes visible again when its processing visibility ends.
        }
        catch (Exception ex)
        {
            logger.LogError("Queue message {MessageId} on '{Queue}' could not be settled: {Error}", message.MessageId, QueueName, ex.Message);
        }
    }

    /// <summary>
    /// Runs one storage step that settles a received message (delete, release, poison copy), retrying with back-off
    /// through a storage outage for as long as our pop receipt can still be valid. Giving up at the first failure
    /// would leave the message invisible for the whole processing visibility (minutes) and then run it again; the
    /// real host's listener also just logs a failed completion and lets the message reappear after its 10-minute
    /// lease, so a real <c>func</c> host behaves like the unretried version here (at-least-once either way).
    /// A 4xx answer (message gone, pop receipt no longer ours) is final: someone else owns the message now.
    /// </summary>
    private async Task SettleAsync(string step, QueueMessage message, DateTimeOffset receiptExpires, Func<Task> settle,
        CancellationToken cancellationToken)
    {
        var delay = FirstSettleRetryDelay;
        while (true)
        {
            try
            {
                await settle();
                return;
            }
            catch (Exception ex) when (IsStorageUnavailable(ex, cancellationToken) && DateTimeOffset.UtcNow + delay < receiptExpires)
            {
                logger.LogWarning("Could not {Step} message {MessageId} on '{Queue}' (storage unavailable); retrying in {Delay}: {Error}",
                    step, message.MessageId, QueueName, delay, FirstLine(ex.Message));
            }

            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxSettleRetryDelay.Ticks));
        }
    }

    /// <summary>Transport failures, timeouts, 5xx (and 408/429): worth retrying. Other 4xx answers are final.</summary>
    internal static bool IsStorageUnavailable(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        RequestFailedException { Status: >= 400 and < 500 and not 408 and not 429 } => false,
        AggregateException aggregate => aggregate.InnerExceptions.All(e => IsStorageUnavailable(e, cancellationToken)),
        _ => true,
    };

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private async Task<bool> InvokeAsync(InvocationRequest request, QueueMessage message, CancellationToken cancellationToken)
    {
        logger.LogDebug("Executing '{Function}' (queue '{Queue}', message {MessageId}, dequeue count {DequeueCount})",
            function.Name, QueueName, message.MessageId, message.DequeueCount);
        try
        {
            var response = await invoker.InvokeAsync(request, functionTimeout, cancellationToken);
            if (response.Result?.Status != StatusResult.Types.Status.Success)
            {
                var exception = response.Result?.Exception;
                logger.LogError("Executed '{Function}' (Failed, message {MessageId}, dequeue count {DequeueCount}/{Max}): {Error}",
                    function.Name, message.MessageId, message.DequeueCount, options.MaxDequeueCount,
                    exception is null ? response.Result?.Result : $"{exception.Type}: {exception.Message}");
                return false;
            }

            await outputs.WriteAsync(function, response, cancellationToken);
            logger.LogDebug("Executed '{Function}' (Succeeded, message {MessageId})", function.Name, message.MessageId);
            return true;
        }
        catch (Exception ex) when (ex is WorkerUnavailableException or TimeoutException)
        {
            logger.LogError("Executed '{Function}' (Failed, message {MessageId}): {Error}", function.Name, message.MessageId, ex.Message);
            return false;
        }
    }

    internal InvocationRequest CreateInvocation(QueueMessage message, byte[] body)
    {
        string? text = null;
        try
        {
            text = StrictUtf8.GetString(body);
        }
        catch (DecoderFallbackException)
        {
        }

        var request = new InvocationRequest
        {
            InvocationId = Guid.NewGuid().ToString(),
            FunctionId = function.FunctionId,
            TraceContext = new RpcTraceContext(),
        };
        request.InputData.Add(new ParameterBinding
        {
            Name = _trigger.ParameterName,
            Data = _trigger.IsBinary || text is null
                ? new TypedData { Bytes = UnsafeByteOperations.UnsafeWrap(body) }
                : new TypedData { String = text },
        });

        // The host's binding data; the worker rejects TypedData int/double, so numbers and dates travel as JSON.
        var metadata = request.TriggerMetadata;
        if (text is not null)
        {
            metadata["QueueTrigger"] = new TypedData { String = text };
        }

        metadata["DequeueCount"] = new TypedData { Json = message.DequeueCount.ToString(CultureInfo.InvariantCulture) };
        metadata["Id"] = new TypedData { String = message.MessageId };
        metadata["PopReceipt"] = new TypedData { String = message.PopReceipt };
        metadata["InsertionTime"] = JsonDate(message.InsertedOn ?? DateTimeOffset.UtcNow);
        metadata["ExpirationTime"] = JsonDate(message.ExpiresOn ?? DateTimeOffset.MaxValue);
        metadata["NextVisibleTime"] = JsonDate(message.NextVisibleOn ?? DateTimeOffset.MaxValue);
        return request;
    }

    private bool TryDecode(QueueMessage message, out byte[] body)
    {
        if (!connections.Base64)
        {
            body = message.Body.ToArray();
            return true;
        }

        var text = message.Body.ToString();
        var buffer = new byte[text.Length];
        if (Convert.TryFromBase64String(text, buffer, out var written))
        {
            body = buffer.AsSpan(0, written).ToArray();
            return true;
        }

        body = [];
        return false;
    }

    private async Task MoveToPoisonAsync(QueueClient queue, QueueMessage message, string reason, DateTimeOffset receiptExpires,
        CancellationToken cancellationToken)
    {
        if (PoisonQueueName is null)
        {
            logger.LogError("Message {MessageId} on '{Queue}' is poison because {Reason}, and the queue has no poison queue; deleting it",
                message.MessageId, QueueName, reason);
        }
        else
        {
            logger.LogWarning("Moving message {MessageId} from '{Queue}' to '{PoisonQueue}' because {Reason}",
                message.MessageId, QueueName, PoisonQueueName, reason);
            // The body exactly as stored, so a replay is a plain copy back. A copy retried after a lost answer may
            // land twice; processing is idempotent, a lost message is not recoverable.
            await SettleAsync("copy to poison", message, receiptExpires, async () =>
            {
                var poison = await connections.GetAsync(_trigger.Connection, PoisonQueueName, raw: true, cancellationToken);
                await poison.SendMessageAsync(message.Body, cancellationToken: cancellationToken);
            }, cancellationToken);
        }

        await SettleAsync("delete", message, receiptExpires,
            () => queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken), cancellationToken);
    }

    private static TypedData JsonDate(DateTimeOffset value) => new() { Json = JsonSerializer.Serialize(value) };
}
