using Microsoft.Extensions.Logging;

namespace CallTracking.ProcessingBench;

/// <summary>
/// Stands in for the worker's log forwarding: every enabled log is formatted with its state (the worker formats and
/// ships each one to the host over gRPC) and written nowhere, so the bench measures what a log line costs the worker.
/// </summary>
internal sealed class FormattingLoggerProvider : ILoggerProvider
{
    private static long _lines;

    public static long Lines => Interlocked.Read(ref _lines);

    /// <summary>Lines by category and level, to see which ones a call pays for.</summary>
    public static System.Collections.Concurrent.ConcurrentDictionary<string, int> ByCategory { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var line = $"{DateTimeOffset.UtcNow:O} {logLevel} {category}[{eventId.Id}] {formatter(state, exception)}";
            if (state is IReadOnlyList<KeyValuePair<string, object?>> properties)
            {
                foreach (var (key, value) in properties)
                {
                    line += $" {key}={value}";
                }
            }

            TextWriter.Null.WriteLine(line);
            Interlocked.Increment(ref _lines);
            ByCategory.AddOrUpdate($"{category} ({logLevel})", 1, (_, n) => n + 1);
        }
    }
}
