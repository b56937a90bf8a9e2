using System.Globalization;
using CallTracking.Functions.Common;
using CallTracking.ProcessingBench;
using CallTracking.Tests.Infrastructure;

namespace CallTracking.IngestBench;

/// <summary>The <c>ingest</c> subcommand of CallTracking.Benchmarks (bench/README.md).</summary>
internal static class IngestCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        // Usage: ingest ... (bench/ingest-load.sh builds everything in Release first):
        //   events [rate=300] [seconds=30] [closed-seconds=15] [connections=16]   POST /api/event: open loop, then closed loop
        //   lag [calls=200] [calls-per-second=2] [processing-delay-seconds=0]    completed acknowledged -> delivered in sinks
        var mode = args.ElementAtOrDefault(0);
        if (mode is not ("events" or "lag"))
        {
            Console.Error.WriteLine("usage: events [rate] [seconds] [closed-seconds] [connections] | lag [calls] [calls-per-second] [delay-seconds]");
            return 2;
        }

        int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
        const int Seed = 42;

        var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        HttpStubServer? stub = null;
        try
        {
            var environment = new Dictionary<string, string>
            {
                ["AzureWebJobsStorage"] = azurite.ConnectionString,
                ["Vonage__VerifySignatures"] = "true",
                ["Vonage__SignatureSecret"] = BenchCalls.Secret,
                ["Vonage__ApiKey"] = "bench",
            };
            if (mode == "lag")
            {
                stub = DeliveryLag.Program(await HttpStubServer.StartAsync());
                environment["CallTracking__ProcessingDelaySeconds"] = Arg(3, 0).ToString(CultureInfo.InvariantCulture);
                environment["Mixpanel__Token"] = "bench-token";
                environment["Mixpanel__ApiBaseUrl"] = stub.BaseUrl + "/mixpanel";
                environment["Impact__AccountSid"] = "bench-sid";
                environment["Impact__AuthToken"] = "bench-auth";
                environment["Impact__ApiBaseUrl"] = stub.BaseUrl + "/calldata";
                environment["Segment__WriteKey"] = "bench-key";
                environment["Segment__ApiBaseUrl"] = stub.BaseUrl + "/segment";
            }

            await using var host = await LocalHostProcess.StartAsync(environment, queues: mode == "lag");
            Console.WriteLine($"local host at {host.BaseAddress} (log: {host.LogFile}); signatures verified, fresh token per request");
            using var http = BenchCalls.CreateClient(host.BaseAddress);
            var bench = new BenchCalls(http, BenchCalls.CreateSigner());
            await bench.ImportCampaignsAsync();
            var cpu = new CpuMeter(host, CpuTime.FindProcessWithArgument("--tablePort", azurite.TablePort.ToString(CultureInfo.InvariantCulture)));

            if (mode == "events")
            {
                var callsTable = azurite.TableService().GetTableClient(StorageNames.CallsTable);
                await new EventIngestion(bench, cpu, callsTable, new StorageRequestLog(azurite)).RunAsync(Arg(1, 300), Arg(2, 30), Arg(3, 15), Arg(4, 16), Seed);
            }
            else
            {
                var delay = Arg(3, 0);
                Console.WriteLine($"processing delay (CallTracking__ProcessingDelaySeconds): {delay} s; queue polling as in host.json");
                await new DeliveryLag(bench, stub!, cpu, new StorageRequestLog(azurite)).RunAsync(Arg(1, 200), Arg(2, 2), Seed, TimeSpan.FromSeconds(delay + 120));
            }

            return 0;
        }
        finally
        {
            if (stub is not null)
            {
                await stub.DisposeAsync();
            }

            await azurite.DisposeAsync();
        }
    }
}
