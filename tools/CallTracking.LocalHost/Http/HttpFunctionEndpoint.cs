using CallTracking.LocalHost.Functions;
using CallTracking.LocalHost.Queues;
using CallTracking.LocalHost.Rpc;
using CallTracking.LocalHost.Worker;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CallTracking.LocalHost.Http;

/// <summary>One HTTP-triggered function: request → invocation → queue outputs → response.</summary>
public sealed class HttpFunctionEndpoint(
    FunctionDescriptor function,
    IFunctionInvoker invoker,
    QueueOutputWriter? queueOutputs,
    FunctionKeys keys,
    TimeSpan timeout,
    ILogger logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        if (!keys.IsAuthorized(context.Request, function.Http!.AuthLevel))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        InvocationResponse response;
        try
        {
            var request = await HttpMapping.CreateInvocationAsync(context, function, aborted);
            response = await invoker.InvokeAsync(request, timeout, aborted);
        }
        catch (WorkerUnavailableException ex)
        {
            logger.LogError("{Function}: the worker is not available ({Error})", function.Name, ex.Message);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        catch (TimeoutException)
        {
            logger.LogError("{Function}: timed out after {Timeout} (functionTimeout)", function.Name, timeout);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return;
        }

        if (response.Result?.Status != StatusResult.Types.Status.Success)
        {
            var exception = response.Result?.Exception;
            logger.LogError("Executed '{Function}' (Failed): {Error}", function.Name,
                exception is null ? response.Result?.Result : $"{exception.Type}: {exception.Message}");
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        if (queueOutputs is not null && function.QueueOutputs.Count > 0)
        {
            await queueOutputs.WriteAsync(function, response, aborted);
        }

        await HttpMapping.WriteResponseAsync(context.Response, HttpMapping.FindResponse(response, function), aborted);
    }
}
