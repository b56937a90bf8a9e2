using System.Collections.Concurrent;
using System.Threading.Channels;
using CallTracking.LocalHost.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace CallTracking.LocalHost.Worker;

/// <summary>
/// The one bidirectional gRPC stream to one worker. Outbound messages go through a channel drained by a
/// single writer (the server stream allows one write at a time; the writer also batches flushes under load).
/// Replies are correlated by request id (the worker copies it onto every reply; invocations use their
/// invocation id as request id). The worker handles messages concurrently and ignores ones it does not know,
/// so every request has a timeout, and everything pending fails at once when the stream drops.
/// </summary>
public sealed class WorkerChannel : IFunctionInvoker
{
    private readonly Channel<StreamingMessage> _outbound = Channel.CreateUnbounded<StreamingMessage>(
        new UnboundedChannelOptions { SingleReader = false, AllowSynchronousContinuations = false });

    private readonly ConcurrentDictionary<string, TaskCompletionSource<StreamingMessage>> _pending = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly WorkerLog _log;
    private readonly ILogger _logger;
    private int _attached;

    public WorkerChannel(string workerId, ILoggerFactory loggerFactory)
    {
        WorkerId = workerId;
        _log = new WorkerLog(loggerFactory);
        _logger = loggerFactory.CreateLogger<WorkerChannel>();
    }

    public string WorkerId { get; }

    /// <summary>Completes when the worker has opened its stream (StartStream).</summary>
    public Task Connected => _connected.Task;

    /// <summary>Completes when the stream has ended.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Serves the worker's stream until it ends; called by the gRPC service after StartStream.</summary>
    internal async Task RunAsync(IAsyncStreamReader<StreamingMessage> requests, IServerStreamWriter<StreamingMessage> responses,
        CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _attached, 1) != 0)
        {
            throw new Grpc.Core.RpcException(new Status(StatusCode.AlreadyExists, $"Worker {WorkerId} is already connected"));
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writer = WriteLoopAsync(responses, stop);
        _connected.TrySetResult();
        try
        {
            while (await requests.MoveNext(stop.Token))
            {
                Dispatch(requests.Current);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException || ex is Grpc.Core.RpcException { StatusCode: StatusCode.Cancelled })
        {
            // The worker went away or the host is stopping: pending requests fail below.
        }
        finally
        {
            _outbound.Writer.TryComplete();
            await stop.CancelAsync();
            try
            {
                await writer;
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
            {
            }

            Close(new WorkerUnavailableException($"The stream to worker {WorkerId} has closed"));
        }
    }

    /// <summary>Sends a request and waits for the reply carrying the same request id.</summary>
    public async Task<StreamingMessage> RequestAsync(StreamingMessage request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(request.RequestId))
        {
            request.RequestId = Guid.NewGuid().ToString();
        }

        var reply = Register(request.RequestId);
        Send(request);
        try
        {
            return await reply.WaitAsync(timeout, cancellationToken);
        }
        finally
        {
            _pending.TryRemove(request.RequestId, out _);
        }
    }

    public async Task<InvocationResponse> InvokeAsync(InvocationRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var id = request.InvocationId;
        var reply = Register(id);
        Send(new StreamingMessage { RequestId = id, InvocationRequest = request });
        try
        {
            var message = await reply.WaitAsync(timeout, cancellationToken);
            return message.InvocationResponse;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // Let the function observe cancellation; the worker does not reply to this.
            TrySend(new StreamingMessage { InvocationCancel = new InvocationCancel { InvocationId = id } });
            throw;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>Queues a message that gets no reply (WorkerTerminate, InvocationCancel).</summary>
    public bool TrySend(StreamingMessage message) => _outbound.Writer.TryWrite(message);

    private void Send(StreamingMessage message)
    {
        if (!_outbound.Writer.TryWrite(message))
        {
            throw new WorkerUnavailableException($"Worker {WorkerId} is not connected");
        }
    }

    private Task<StreamingMessage> Register(string id)
    {
        var reply = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.TryAdd(id, reply))
        {
            throw new InvalidOperationException($"Request id {id} is already pending");
        }

        if (_closed.Task.IsCompleted)
        {
            _pending.TryRemove(id, out _);
            throw new WorkerUnavailableException($"Worker {WorkerId} is not connected");
        }

        return reply.Task;
    }

    private async Task WriteLoopAsync(IServerStreamWriter<StreamingMessage> responses, CancellationTokenSource stop)
    {
        // The only writer of the stream. (The channel is multi-reader only because that kind can count.)
        var reader = _outbound.Reader;
        var buffered = new WriteOptions(WriteFlags.BufferHint);
        try
        {
            while (await reader.WaitToReadAsync(stop.Token))
            {
                while (reader.TryRead(out var message))
                {
                    // Flush only when nothing else is waiting: one flush for a burst of messages.
                    responses.WriteOptions = reader.Count > 0 ? buffered : null;
                    await responses.WriteAsync(message, stop.Token);
                }
            }
        }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            _logger.LogError(ex, "Writing to worker {WorkerId} failed; closing its stream", WorkerId);
            await stop.CancelAsync();
        }
    }

    private void Dispatch(StreamingMessage message)
    {
        switch (message.ContentCase)
        {
            case StreamingMessage.ContentOneofCase.RpcLog:
                WriteLog(message.RpcLog);
                return;
            case StreamingMessage.ContentOneofCase.InvocationResponse:
                Complete(message.RequestId is { Length: > 0 } rid ? rid : message.InvocationResponse.InvocationId, message);
                return;
            case StreamingMessage.ContentOneofCase.StartStream:
                return;
            case StreamingMessage.ContentOneofCase.None:
                // The worker's last word after WorkerTerminate.
                return;
            default:
                Complete(message.RequestId, message);
                return;
        }
    }

    /// <summary>
    /// As the real host does (GrpcWorkerChannel.Log): a user log outside a running invocation, such as an app's
    /// start-up warning, is dropped at Debug; only the worker's own system logs pass. An app that must be heard
    /// from outside an invocation needs its own channel (health, Application Insights), here as in Azure.
    /// </summary>
    private void WriteLog(RpcLog log)
    {
        if (log.LogCategory == RpcLog.Types.RpcLogCategory.System || _pending.ContainsKey(log.InvocationId))
        {
            _log.Write(log);
        }
        else
        {
            _logger.LogDebug("Ignoring RpcLog from invocation '{InvocationId}' because there is no matching ScriptInvocationContext: {Message}",
                log.InvocationId, log.Message);
        }
    }

    private void Complete(string id, StreamingMessage message)
    {
        if (_pending.TryRemove(id, out var reply))
        {
            reply.TrySetResult(message);
        }
        else
        {
            _logger.LogDebug("Reply {Kind} for {Id} arrived after its request gave up", message.ContentCase, id);
        }
    }

    private void Close(Exception reason)
    {
        _outbound.Writer.TryComplete();
        _connected.TrySetException(reason);
        _closed.TrySetResult();
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var reply))
            {
                reply.TrySetException(reason);
            }
        }
    }

    /// <summary>Fails pending requests and refuses new ones (the worker process has gone).</summary>
    public void Abort(string reason) => Close(new WorkerUnavailableException(reason));
}
