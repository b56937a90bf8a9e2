using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using CallTracking.Simulator;
using CallTracking.Tests.Infrastructure;

namespace CallTracking.IngestBench;

/// <summary>
/// End-to-end lag: from the moment the last <c>completed</c> event of a call is acknowledged (HTTP 204 received) to
/// the call's arrival at each stub sink (Mixpanel event, impact.com, Segment), through the local host's real worker
/// and queue pump. Calls start at a fixed rate; each call's webhooks are sent back to back in the plan's order.
/// </summary>
public sealed class DeliveryLag(BenchCalls bench, HttpStubServer stub, CpuMeter cpu, StorageRequestLog storage)
{
    public static readonly IReadOnlyList<(string Name, string Path)> Sinks =
        [("mixpanel", "/mixpanel/track"), ("impact", "/calldata/logCallData"), ("segment", "/segment/v1/track")];

    public static HttpStubServer Program(HttpStubServer stub) =>
        stub.On("POST", "/mixpanel/track", StubResponse.Json(200, "{\"status\":1,\"error\":null}"))
            .On("POST", "/mixpanel/engage", StubResponse.Json(200, "{\"status\":1,\"error\":null}"))
            .On("POST", "/calldata/logCallData", StubResponse.Json(200, "{\"Status\":\"OK\"}"))
            .On("POST", "/segment/v1/track", StubResponse.Json(200, "{\"success\":true}"));

    public async Task RunAsync(int calls, double callsPerSecond, int seed, TimeSpan drainTimeout)
    {
        var generated = BenchCalls.Generate(calls, seed, callsPerSecond);
        var acknowledged = new ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var failures = 0;
        var requests = 0;
        var pacer = new FixedRatePacer(callsPerSecond);
        var before = cpu.Sample();
        var logBefore = storage.Snapshot();
        var clock = Stopwatch.StartNew();
        var running = new List<Task>();
        foreach (var call in generated)
        {
            await pacer.WaitAsync(CancellationToken.None);
            running.Add(Task.Run(async () =>
            {
                Count(await bench.AnswerAsync(call), HttpStatusCode.OK);
                foreach (var delivery in call.Connected.Deliveries)
                {
                    if (delivery.Kind == DeliveryKind.Event)
                    {
                        Count(await bench.PostAsync("api/event", delivery.Body), HttpStatusCode.NoContent);
                        if (delivery.Status == "completed")
                        {
                            acknowledged[call.ConversationUuid] = DateTimeOffset.UtcNow; // the last one wins: in order
                        }
                    }
                    else if (delivery.Kind == DeliveryKind.Recording && call.Campaign.RecordCalls)
                    {
                        Count(await bench.PostAsync("api/recording", delivery.Body), HttpStatusCode.NoContent);
                    }
                }
            }));
        }

        await Task.WhenAll(running);
        var sent = clock.Elapsed;
        Console.WriteLine($"sent {calls} calls in {sent.TotalSeconds:F1} s ({requests} webhooks, {failures} failed); waiting for the sinks");

        var arrivals = await WaitForSinksAsync(generated, drainTimeout);
        var used = cpu.Sample() - before;
        Console.WriteLine($"all delivered {clock.Elapsed.TotalSeconds:F1} s after the first call");
        var lastSink = new List<double>();
        foreach (var (name, _) in Sinks)
        {
            var lags = new List<double>();
            foreach (var call in generated)
            {
                if (arrivals[name].TryGetValue(call.ConversationUuid, out var at) && acknowledged.TryGetValue(call.ConversationUuid, out var ack))
                {
                    lags.Add((at - ack).TotalMilliseconds);
                }
            }

            Console.WriteLine($"{name,-9} {lags.Count,4} of {calls} calls delivered; lag {Percentiles.Line(lags)}");
        }

        foreach (var call in generated)
        {
            if (acknowledged.TryGetValue(call.ConversationUuid, out var ack) && Sinks.All(s => arrivals[s.Name].ContainsKey(call.ConversationUuid)))
            {
                lastSink.Add((Sinks.Max(s => arrivals[s.Name][call.ConversationUuid]) - ack).TotalMilliseconds);
            }
        }

        Console.WriteLine($"all three {lastSink.Count,4} of {calls} calls; lag to the last sink {Percentiles.Line(lastSink)}");
        Console.WriteLine(StorageRequestLog.Describe(logBefore, storage.Snapshot(), requests) + " (processing included)");
        Console.WriteLine(used.Describe(requests, clock.Elapsed).Replace("per request", "per webhook (processing included)", StringComparison.Ordinal));

        void Count(HttpStatusCode status, HttpStatusCode expected)
        {
            Interlocked.Increment(ref requests);
            if (status != expected)
            {
                Interlocked.Increment(ref failures);
            }
        }
    }

    /// <summary>First arrival per sink and call id (each sink's body names the call id).</summary>
    private async Task<Dictionary<string, Dictionary<string, DateTimeOffset>>> WaitForSinksAsync(IReadOnlyList<SimulatedCall> calls,
        TimeSpan timeout)
    {
        var ids = calls.Select(c => c.ConversationUuid).ToList();
        var arrivals = Sinks.ToDictionary(s => s.Name, _ => new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal));
        var scanned = 0;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var requests = stub.Requests;
            for (; scanned < requests.Count; scanned++)
            {
                var request = requests[scanned];
                var sink = Sinks.FirstOrDefault(s => s.Path == request.Path).Name;
                if (sink is null)
                {
                    continue;
                }

                foreach (var id in ids)
                {
                    if (request.Body.Contains(id, StringComparison.Ordinal))
                    {
                        arrivals[sink].TryAdd(id, request.ReceivedAt);
                    }
                }
            }

            if (arrivals.Values.All(a => a.Count == ids.Count) || clock.Elapsed > timeout)
            {
                return arrivals;
            }

            await Task.Delay(200);
        }
    }
}
