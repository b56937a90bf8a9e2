using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CallTracking.ProcessingBench;

/// <summary>The <c>processing</c> subcommand of CallTracking.Benchmarks (bench/README.md).</summary>
internal static class ProcessingCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        // Usage: dotnet run -c Release --project bench/CallTracking.Benchmarks -- processing [calls=2000] [concurrency=24] [logs=none|info]
        var calls = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
        var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 24; // host.json: batchSize 16 + newBatchThreshold 8
        // info: every log at Information and above is formatted, as the worker formats and ships each one to the host.
        var logs = args.Length > 2 && args[2] == "info";

        var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        try
        {
            await using var stub = await HttpStubServer.StartAsync();
            stub.On("POST", "/mixpanel/track", StubResponse.Json(200, "{\"status\":1,\"error\":null}"))
                .On("POST", "/mixpanel/engage", StubResponse.Json(200, "{\"status\":1,\"error\":null}"))
                .On("POST", "/calldata/logCallData", StubResponse.Json(200, "{\"Status\":\"OK\"}"))
                .On("POST", "/segment/v1/track", StubResponse.Json(200, "{\"success\":true}"));

            var counter = new TableRequestCounter();
            var settings = new Dictionary<string, string?>
            {
                ["Mixpanel:Token"] = "bench-token",
                ["Mixpanel:ApiBaseUrl"] = stub.BaseUrl + "/mixpanel",
                ["Impact:AccountSid"] = "bench-sid",
                ["Impact:AuthToken"] = "bench-auth",
                ["Impact:ApiBaseUrl"] = stub.BaseUrl + "/calldata",
                ["Segment:WriteKey"] = "bench-key",
                ["Segment:ApiBaseUrl"] = stub.BaseUrl + "/segment",
            };
            await using var services = TestServices.Create(azurite, settings, s =>
            {
                var options = new TableClientOptions();
                options.AddPolicy(counter, Azure.Core.HttpPipelinePosition.PerCall);
                s.AddSingleton(new TableServiceClient(azurite.ConnectionString, options));
                if (logs)
                {
                    s.AddLogging(b => b.SetMinimumLevel(LogLevel.Information).AddProvider(new FormattingLoggerProvider()));
                }
            });

            // The bench's own TableServiceClient lacks the app's missing-table recovery: create the tables as start-up does.
            await services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();
            var campaign = new Campaign
            {
                Id = "bench",
                Name = "Bench campaign",
                TrackingNumber = "+14155550100",
                AgentNumber = "+14155550199",
                Impact = new ImpactIds(1, 2, 3),
            };
            await services.GetRequiredService<CampaignStore>().SaveAsync([campaign]);
            var store = services.GetRequiredService<CallStore>();

            async Task<List<string>> CreateCallsAsync(int count)
            {
                var ids = Enumerable.Range(0, count).Select(_ => "CON-" + Guid.NewGuid()).ToList();
                await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (id, ct) =>
                    await store.TryAddAsync(NewCall(id, campaign), ct));
                return ids;
            }

            async Task ProcessAsync(IEnumerable<string> ids) =>
                await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (id, ct) =>
                {
                    // Resolved per message, as the worker resolves the function (and its CallProcessor) per invocation.
                    var status = await services.GetRequiredService<CallProcessor>().ProcessAsync(id, ct);
                    if (status != ProcessingStatus.Processed)
                    {
                        throw new InvalidOperationException($"{id}: {status}");
                    }
                });

            await ProcessAsync(await CreateCallsAsync(200)); // warm-up: JIT, connection pools
            var ids = await CreateCallsAsync(calls);
            var requestsBefore = stub.Requests.Count;
            counter.Reset();

            var azuriteProcess = CpuTime.FindProcessWithArgument("--tablePort", azurite.TablePort.ToString(CultureInfo.InvariantCulture));
            var benchCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var azuriteCpuBefore = CpuTime.Of(azuriteProcess);
            var stopwatch = Stopwatch.StartNew();
            await ProcessAsync(ids);
            stopwatch.Stop();
            var benchCpu = Process.GetCurrentProcess().TotalProcessorTime - benchCpuBefore;
            var azuriteCpu = CpuTime.Of(azuriteProcess) - azuriteCpuBefore;

            var sinkRequests = stub.Requests.Count - requestsBefore;
            Console.WriteLine($"calls processed:        {calls} (concurrency {concurrency})");
            Console.WriteLine($"elapsed:                {stopwatch.Elapsed.TotalSeconds:F2} s");
            Console.WriteLine($"throughput:             {calls / stopwatch.Elapsed.TotalSeconds:F0} calls/s");
            Console.WriteLine($"sink requests:          {sinkRequests} ({(double)sinkRequests / calls:F2} per call)");
            Console.WriteLine($"table transactions:     {counter.Total} ({(double)counter.Total / calls:F2} per call)");
            foreach (var (kind, count) in counter.ByKind)
            {
                Console.WriteLine($"  {kind,-32} {(double)count / calls:F2} per call");
            }

            // The machine is shared: CPU time per call says what an idle 2-core instance would sustain.
            var cpuPerCall = (benchCpu + azuriteCpu).TotalMilliseconds / calls;
            Console.WriteLine($"CPU per call:           {benchCpu.TotalMilliseconds / calls:F2} ms processor+stubs, {azuriteCpu.TotalMilliseconds / calls:F2} ms Azurite");
            Console.WriteLine($"CPU-bound capacity:     {Environment.ProcessorCount * 1000 / cpuPerCall:F0} calls/s on {Environment.ProcessorCount} idle cores (everything on one machine)");
            Console.WriteLine($"load average (1 min):   {CpuTime.LoadAverage()}");
            Console.WriteLine($"log lines:              {(logs ? $"{(double)FormattingLoggerProvider.Lines / calls:F2} per call at Information+ (warm-up included)" : "not formatted (no provider)")}");
            foreach (var (category, count) in FormattingLoggerProvider.ByCategory.OrderByDescending(p => p.Value))
            {
                Console.WriteLine($"  {category,-70} {count}");
            }
        }
        finally
        {
            await azurite.DisposeAsync();
        }

        return 0;

        static CallRecord NewCall(string id, Campaign campaign)
        {
            var start = DateTimeOffset.UtcNow.AddMinutes(-5);
            return new CallRecord
            {
                PartitionKey = id,
                CampaignId = campaign.Id,
                TrackingNumber = campaign.TrackingNumber,
                CallerNumber = "+1415555" + Random.Shared.Next(1000, 9999).ToString(CultureInfo.InvariantCulture),
                AgentNumber = campaign.AgentNumber,
                Route = "connect",
                AnsweredAt = start,
                InboundLegUuid = Guid.NewGuid().ToString(),
                InboundStatus = "completed",
                InboundStartTime = start,
                InboundEndTime = start.AddSeconds(95),
                InboundDurationSeconds = 95,
                InboundPrice = 0.0095,
                AgentLegUuid = Guid.NewGuid().ToString(),
                AgentStatus = "completed",
                AgentAnsweredAt = start.AddSeconds(12),
                AgentEndTime = start.AddSeconds(95),
                AgentDurationSeconds = 83,
                AgentPrice = 0.0083,
                CompletedAt = start.AddSeconds(95),
                EnqueuedAt = start.AddSeconds(96),
            };
        }
    }
}
