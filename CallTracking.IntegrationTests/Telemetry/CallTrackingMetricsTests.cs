using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using CallTracking.Functions.Forwarding;
using CallTracking.Functions.Telemetry;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Processing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static CallTracking.Tests.Processing.ForwardingHarness;

namespace CallTracking.Tests.Telemetry;

/// <summary>The counters, recorded by the real services (against Azurite and stub sinks) and read in process.</summary>
[Collection(AzuriteCollection.Name)]
public class CallTrackingMetricsTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_processed_call_is_counted_by_outcome_and_each_delivery_by_sink_and_result()
    {
        await using var harness = await StartAsync(azurite);
        using var counters = new CounterRecorder(harness.Services.GetRequiredService<IMeterFactory>());
        var campaign = await harness.CreateCampaignAsync(withImpactIds: false);
        var call = await harness.AddCallAsync(AnsweredCall(campaign));

        await harness.Processor.ProcessAsync(call.PartitionKey);
        // A redelivery stores nothing and sends nothing: counted once.
        await harness.Processor.ProcessAsync(call.PartitionKey);

        Assert.Equal(1, counters.Sum(CallTrackingMetrics.CallsProcessed, ("outcome", "Answered")));
        Assert.Equal(1, counters.Sum(CallTrackingMetrics.CallsProcessed));
        Assert.Equal(1, counters.Sum(CallTrackingMetrics.Deliveries, ("sink", MixpanelEventSink.SinkName), ("result", "delivered")));
        Assert.Equal(1, counters.Sum(CallTrackingMetrics.Deliveries, ("sink", SegmentSink.SinkName), ("result", "delivered")));
        // A campaign without impact.com ids is skipped for impact.com, and that is counted as such.
        Assert.Equal(1, counters.Sum(CallTrackingMetrics.Deliveries, ("sink", ImpactSink.SinkName), ("result", "skipped")));
        Assert.Equal(1, counters.Sum(CallTrackingMetrics.Enrichments, ("provider", "Offline"), ("fallback", false)));
    }

    [Fact]
    public async Task A_sink_failure_is_counted_as_transient()
    {
        await using var harness = await StartAsync(azurite);
        harness.Stub.On("POST", SegmentTrack, StubResponse.Json(503, "{}"));
        using var counters = new CounterRecorder(harness.Services.GetRequiredService<IMeterFactory>());
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));

        await Assert.ThrowsAsync<DeliveryIncompleteException>(() => harness.Processor.ProcessAsync(call.PartitionKey));

        Assert.Equal(1, counters.Sum(CallTrackingMetrics.Deliveries, ("sink", SegmentSink.SinkName), ("result", "transient")));
        Assert.Equal(1, counters.Sum(CallTrackingMetrics.Deliveries, ("sink", MixpanelEventSink.SinkName), ("result", "delivered")));
    }
}

/// <summary>
/// Listens to the CallTracking meter of one service provider only (its <see cref="IMeterFactory"/>), so tests
/// running in parallel do not see each other's measurements.
/// </summary>
public sealed class CounterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Name, long Value, KeyValuePair<string, object?>[] Tags)> _measurements = new();

    public CounterRecorder(IMeterFactory factory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == CallTrackingMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        _listener.Start();
    }

    public long Sum(string instrument, params (string Key, object Value)[] tags) =>
        _measurements.Where(m => m.Name == instrument
                && tags.All(t => m.Tags.Any(tag => tag.Key == t.Key && Equals(tag.Value, t.Value))))
            .Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();
}
