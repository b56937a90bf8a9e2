using System.Collections.Concurrent;
using CallTracking.LocalHost.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace CallTracking.LocalHost.Worker;

/// <summary>The workers the host has started, by worker id, waiting for their streams.</summary>
public sealed class WorkerChannelRegistry
{
    private readonly ConcurrentDictionary<string, WorkerChannel> _channels = new(StringComparer.Ordinal);

    public void Add(WorkerChannel channel) => _channels[channel.WorkerId] = channel;

    public void Remove(WorkerChannel channel) => _channels.TryRemove(channel.WorkerId, out _);

    public WorkerChannel? Find(string workerId) => _channels.GetValueOrDefault(workerId);
}

/// <summary>The gRPC endpoint the worker connects to: hands each stream to the channel of the worker that opened it.</summary>
public sealed class WorkerRpcService(WorkerChannelRegistry registry, ILogger<WorkerRpcService> logger) : FunctionRpc.FunctionRpcBase
{
    public override async Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream,
        IServerStreamWriter<StreamingMessage> responseStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken))
        {
            return;
        }

        var first = requestStream.Current;
        if (first.ContentCase != StreamingMessage.ContentOneofCase.StartStream)
        {
            logger.LogWarning("A worker stream began with {Kind} instead of StartStream", first.ContentCase);
            throw new Grpc.Core.RpcException(new Status(StatusCode.FailedPrecondition, "The first message must be StartStream"));
        }

        var channel = registry.Find(first.StartStream.WorkerId);
        if (channel is null)
        {
            logger.LogWarning("Unknown worker {WorkerId} connected", first.StartStream.WorkerId);
            throw new Grpc.Core.RpcException(new Status(StatusCode.NotFound, "Unknown worker id"));
        }

        await channel.RunAsync(requestStream, responseStream, context.CancellationToken);
    }
}
