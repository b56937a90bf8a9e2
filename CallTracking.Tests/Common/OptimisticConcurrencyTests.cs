using System.Collections.Concurrent;
using Azure;
using CallTracking.Functions.Common;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CallTracking.Tests.Common;

/// <summary>The one read-modify-write retry policy, on a fake clock: no storage, no sleeping.</summary>
public class OptimisticConcurrencyTests
{
    private readonly RecordingTimeProvider _time = new();

    private OptimisticConcurrency Concurrency => new(_time);

    [Fact]
    public async Task Lost_races_are_retried_after_a_back_off_until_the_write_goes_through()
    {
        var attempts = 0;

        var result = await DriveAsync(Concurrency.RunAsync("Call c-1", _ =>
            Task.FromResult(++attempts < 4 ? Attempt<int>.LostRace() : Attempt.Done(attempts)), CancellationToken.None));

        Assert.Equal(4, result);
        Assert.Equal(3, _time.Delays.Count);
    }

    [Theory]
    [InlineData(409, "EntityAlreadyExists")]
    [InlineData(412, "UpdateConditionNotSatisfied")]
    [InlineData(404, "ResourceNotFound")]
    public async Task A_conditional_write_that_storage_rejects_as_a_lost_race_is_retried(int status, string errorCode)
    {
        var attempts = 0;

        var result = await DriveAsync(Concurrency.RunAsync("Call c-1", _ => ++attempts == 1
            ? throw new RequestFailedException(status, "lost", errorCode, null)
            : Task.FromResult(Attempt.Done("written")), CancellationToken.None));

        Assert.Equal("written", result);
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task Running_out_of_attempts_throws_an_exception_naming_the_entity_with_the_last_conflict_inside()
    {
        var attempts = 0;

        var error = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => DriveAsync(Concurrency.RunAsync<int>("Call CON-7", _ =>
            throw new RequestFailedException(412, $"lost #{++attempts}", "UpdateConditionNotSatisfied", null), CancellationToken.None)));

        Assert.Equal(OptimisticConcurrency.MaxAttempts, attempts);
        Assert.Equal("Call CON-7", error.Entity);
        Assert.Equal(OptimisticConcurrency.MaxAttempts, error.Attempts);
        Assert.StartsWith("Call CON-7 kept changing under concurrent updates", error.Message, StringComparison.Ordinal);
        Assert.Equal($"lost #{OptimisticConcurrency.MaxAttempts}", Assert.IsType<RequestFailedException>(error.InnerException).Message);
        // A back-off before every retry, each within its attempt's window.
        var delays = _time.Delays.ToList();
        Assert.Equal(OptimisticConcurrency.MaxAttempts - 1, delays.Count);
        for (var i = 0; i < delays.Count; i++)
        {
            var window = OptimisticConcurrency.BackoffWindow(i + 1);
            Assert.InRange(delays[i], window / 2, window);
        }
    }

    public static TheoryData<Exception> NotRaces() =>
    [
        new RequestFailedException(500, "server error", "InternalError", null),
        new RequestFailedException(400, "bad request", "InvalidInput", null),
        new RequestFailedException(404, "no table", MissingStorageRecovery.TableNotFound, null),
        new RequestFailedException(404, "no queue", MissingStorageRecovery.QueueNotFound, null),
        new InvalidOperationException("a bug"),
    ];

    [Theory]
    [MemberData(nameof(NotRaces))]
    public async Task Other_failures_are_not_retried(Exception failure)
    {
        var attempts = 0;

        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => DriveAsync(Concurrency.RunAsync<int>("Call c-1", _ =>
        {
            attempts++;
            throw failure;
        }, CancellationToken.None)));

        Assert.Same(failure, thrown);
        Assert.Equal(1, attempts);
        Assert.Empty(_time.Delays);
    }

    [Fact]
    public void The_back_off_window_doubles_from_the_base_delay_up_to_the_cap()
    {
        var windows = Enumerable.Range(1, 12).Select(OptimisticConcurrency.BackoffWindow).ToList();

        Assert.Equal(
            new double[] { 10, 20, 40, 80, 160, 320, 500, 500, 500, 500, 500, 500 },
            windows.Select(w => w.TotalMilliseconds));
        Assert.Equal(OptimisticConcurrency.BaseDelay, windows[0]);
        Assert.Equal(OptimisticConcurrency.MaxDelay, windows[^1]);
    }

    [Fact]
    public void Each_back_off_is_jittered_between_half_and_all_of_its_window()
    {
        for (var failedAttempts = 1; failedAttempts < OptimisticConcurrency.MaxAttempts; failedAttempts++)
        {
            var window = OptimisticConcurrency.BackoffWindow(failedAttempts);
            var samples = Enumerable.Range(0, 200).Select(_ => OptimisticConcurrency.Backoff(failedAttempts)).ToList();

            Assert.All(samples, delay => Assert.InRange(delay, window / 2, window));
            Assert.True(samples.Distinct().Count() > 100, $"attempt {failedAttempts}: the delays are not spread");
        }
    }

    [Fact]
    public async Task Cancelling_during_a_back_off_stops_retrying()
    {
        using var cancel = new CancellationTokenSource();
        var attempts = 0;
        var run = Concurrency.RunAsync("Call c-1", _ =>
        {
            attempts++;
            return Task.FromResult(Attempt<int>.LostRace());
        }, cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(1, attempts);
    }

    /// <summary>Moves the fake clock on until <paramref name="run"/> finishes, so every back-off elapses at once.</summary>
    private async Task<T> DriveAsync<T>(Task<T> run)
    {
        for (var step = 0; step < 1000 && !run.IsCompleted; step++)
        {
            _time.Advance(OptimisticConcurrency.MaxDelay);
            await Task.Yield();
        }

        return await run;
    }

    /// <summary>A fake clock that remembers every delay asked of it.</summary>
    private sealed class RecordingTimeProvider : FakeTimeProvider
    {
        public ConcurrentQueue<TimeSpan> Delays { get; } = new();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Delays.Enqueue(dueTime);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }
}
