using System.Collections.Concurrent;
using CallTracking.LocalHost.Rpc;
using Microsoft.Extensions.Logging;

namespace CallTracking.LocalHost.Worker;

/// <summary>Writes the worker's RpcLog messages to the host's loggers, under the worker's own categories.</summary>
internal sealed class WorkerLog(ILoggerFactory loggerFactory)
{
    private readonly ConcurrentDictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    public void Write(RpcLog log)
    {
        var level = log.Level switch
        {
            RpcLog.Types.Level.Trace => LogLevel.Trace,
            RpcLog.Types.Level.Debug => LogLevel.Debug,
            RpcLog.Types.Level.Information => LogLevel.Information,
            RpcLog.Types.Level.Warning => LogLevel.Warning,
            RpcLog.Types.Level.Error => LogLevel.Error,
            RpcLog.Types.Level.Critical => LogLevel.Critical,
            _ => LogLevel.None,
        };
        var category = string.IsNullOrEmpty(log.Category) ? "Worker" : log.Category;
        var logger = _loggers.GetOrAdd(category, loggerFactory.CreateLogger);
        if (level == LogLevel.None || !logger.IsEnabled(level))
        {
            return;
        }

        if (log.Exception is { } exception)
        {
            logger.Log(level, "{Message} ({ExceptionType}: {ExceptionMessage})", log.Message, exception.Type, exception.Message);
        }
        else
        {
            logger.Log(level, "{Message}", log.Message);
        }
    }
}
