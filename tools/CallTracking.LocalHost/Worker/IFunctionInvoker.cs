using CallTracking.LocalHost.Rpc;

namespace CallTracking.LocalHost.Worker;

/// <summary>Runs one invocation in the worker; the HTTP front end and the queue pumps depend only on this.</summary>
public interface IFunctionInvoker
{
    /// <exception cref="WorkerUnavailableException">The worker is not connected (crashed, stopping).</exception>
    /// <exception cref="TimeoutException">No response within <paramref name="timeout"/>; the invocation was cancelled.</exception>
    Task<InvocationResponse> InvokeAsync(InvocationRequest request, TimeSpan timeout, CancellationToken cancellationToken);
}

public sealed class WorkerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
