using System.Globalization;
using System.Text;
using System.Text.Json;
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

        await Task.WhenAll(messages.Select(m => ProcessAsync(queue, m, cancellationToken)));
        return messages.Length;
    }

    private async Task ProcessAsync(QueueClient queue, QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            if (message.DequeueCount > options.MaxDequeueCount)
            {
                await MoveToPoisonAsync(queue, message, "it was dequeued more often than maxDequeueCount", cancellationToken);
                return;
            }

            if (!TryDecode(message, out var body))
            {
                await MoveToPoisonAsync(queue, message, "its body is not valid base64 (set messageEncoding or send base64)", cancellationToken);
                return;
            }

            var request = CreateInvocation(message, body);
            var succeeded = await InvokeAsync(request, message, cancellationToken);
            if (succeeded)
            {
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
            }
            else if (message.DequeueCount >= options.MaxDequeueCount)
            {
                await MoveToPoisonAsync(queue, message, $"it failed {message.DequeueCount} times (maxDequeueCount)", cancellationToken);
            }
            else
            {
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: options.VisibilityTimeout,
                    cancellationToken: cancellationToken);
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

    private async Task MoveToPoisonAsync(QueueClient queue, QueueMessage message, string reason, CancellationToken cancellationToken)
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
            var poison = await connections.GetAsync(_trigger.Connection, PoisonQueueName, raw: true, cancellationToken);
            // The body exactly as stored, so a replay is a plain copy back.
            await poison.SendMessageAsync(message.Body, cancellationToken: cancellationToken);
        }

        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
    }

    private static TypedData JsonDate(DateTimeOffset value) => new() { Json = JsonSerializer.Serialize(value) };
}
