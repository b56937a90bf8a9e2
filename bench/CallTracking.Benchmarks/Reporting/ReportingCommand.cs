using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Azure.Data.Tables;
using CallTracking.Functions;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Reporting;
using CallTracking.LocalHost;
using CallTracking.LocalHost.Configuration;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CallTracking.ReportingBench;

/// <summary>The <c>reporting</c> subcommand of CallTracking.Benchmarks (bench/README.md).</summary>
internal static class ReportingCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        // Usage: dotnet run -c Release --project bench/CallTracking.Benchmarks -- reporting [stats] [csv] [--connection <storage connection string>]
        // Without --connection it starts its own in-memory Azurite from the repository's node_modules (run 'npm ci' first).
        var run = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (run.Count == 0)
        {
            run = ["stats", "csv"];
        }

        var connectionIndex = Array.IndexOf(args, "--connection");
        // The tests' Azurite fixture (in memory, free ports), from CallTracking.Testing.
        var azurite = connectionIndex >= 0 ? null : new AzuriteFixture();
        if (azurite is not null)
        {
            await azurite.InitializeAsync();
        }

        await using var stopAzurite = new AsyncCleanup(() => azurite?.DisposeAsync() ?? Task.CompletedTask);
        var connection = connectionIndex >= 0 ? args[connectionIndex + 1] : azurite!.ConnectionString;

        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [StorageNames.StorageConnection] = connection })
            .Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
            .AddCallTrackingApp()
            .BuildServiceProvider();
        await services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();
        var campaigns = services.GetRequiredService<CampaignStore>();
        var table = services.GetRequiredService<ReportStore>().Table;

        if (run.Contains("stats"))
        {
            await StatsBench.RunAsync(services, campaigns, table);
        }

        if (run.Contains("csv"))
        {
            await CsvBench.RunAsync(services, campaigns, table, connection);
        }

        return 0;
    }
}

internal static class StatsBench
{
    private const int CallsPerYear = 1_000_000;
    private static readonly int Runs = int.TryParse(Environment.GetEnvironmentVariable("BENCH_RUNS"), out var r) ? r : 40;

    public static async Task RunAsync(IServiceProvider services, CampaignStore campaigns, TableClient table)
    {
        var campaign = await NewCampaignAsync(campaigns, "bench-stats");
        var yearStart = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var hours = (int)(yearStart.AddYears(1) - yearStart).TotalHours;

        // 1,000,000 calls generated as their hour aggregates (what the processor would have written), not as a
        // million ledger writes: the read path only ever sees the hour rows.
        var watch = Stopwatch.StartNew();
        var random = new Random(42);
        var rows = new List<TableTransactionAction>(100);
        long total = 0;
        var callers = Enumerable.Range(0, 300_000).Select(i => "+1202" + i.ToString("D7", CultureInfo.InvariantCulture)).ToArray();
        var day = new HourAggregate(HourAggregate.QuartersPerDay);
        var monthRollup = ReportKeys.NewAggregate(ReportKeys.MonthKey(yearStart));
        for (var h = 0; h < hours; h++)
        {
            var start = yearStart.AddHours(h);
            var calls = (int)((long)CallsPerYear * (h + 1) / hours - (long)CallsPerYear * h / hours);
            var aggregate = new HourAggregate();
            for (var i = 0; i < calls; i++)
            {
                aggregate.Apply(new CallEntry
                {
                    CallId = "x",
                    CampaignId = campaign.Id,
                    Start = start.AddSeconds(random.Next(3600)),
                    Outcome = (CallOutcome)random.Next(8),
                    TalkSeconds = random.Next(600),
                    DurationSeconds = random.Next(700),
                    CarrierCostMicros = random.Next(100_000),
                    FirstTimeCaller = random.Next(3) == 0,
                    CallerNumber = callers[random.Next(callers.Length)],
                    CallerCountry = random.Next(4) switch { 0 => "US", 1 => "GB", 2 => "DE", _ => "CA" },
                    CallerLineType = random.Next(2) == 0 ? "mobile" : "landline",
                }, +1);
            }

            total += calls;
            rows.Add(new(TableTransactionActionType.UpsertReplace, aggregate.ToEntity(campaign.Id, ReportKeys.HourKey(start))));
            day.Add(aggregate, 4 * start.Hour);
            if (start.Hour == 23)
            {
                rows.Add(new(TableTransactionActionType.UpsertReplace, day.ToEntity(campaign.Id, ReportKeys.DayKey(start))));
                monthRollup.Add(day, HourAggregate.QuartersPerDay * (start.Day - 1));
                day = new HourAggregate(HourAggregate.QuartersPerDay);
                if (start.AddHours(1).Month != start.Month)
                {
                    rows.Add(new(TableTransactionActionType.UpsertReplace, monthRollup.ToEntity(campaign.Id, ReportKeys.MonthKey(start))));
                    monthRollup = ReportKeys.NewAggregate(ReportKeys.MonthKey(start.AddHours(1)));
                }
            }

            if (rows.Count >= 98 || h == hours - 1)
            {
                await table.SubmitTransactionAsync(rows);
                rows.Clear();
            }
        }

        Console.WriteLine($"stats: wrote {hours:N0} hour rows (+ day and month rollups) for {total:N0} calls in {watch.Elapsed.TotalSeconds:F1} s");
        await WriteCallRowsAsync(table, campaign.Id, yearStart, random);

        var stats = services.GetRequiredService<CampaignStatsService>();
        var range = ReportRange.Parse("2025-01-01", "2025-12-31", "America/New_York", DateTimeOffset.UtcNow);
        var first = await stats.GetAsync(campaign.Id, range, default);
        Console.WriteLine($"stats: {first.Calls:N0} calls, {first.UniqueCallers:N0} unique callers (exact pool: {callers.Length:N0}), {first.ByDay.Count} days");
        for (var i = 0; i < 3; i++)
        {
            await stats.GetAsync(campaign.Id, range, default);
        }

        var samples = new List<double>();
        for (var i = 0; i < Runs; i++)
        {
            watch.Restart();
            await stats.GetAsync(campaign.Id, range, default);
            samples.Add(watch.Elapsed.TotalMilliseconds);
        }

        samples.Sort();
        Console.WriteLine($"stats: full-year GET over {samples.Count} runs: p50 {Percentile(samples, 50):F0} ms, p95 {Percentile(samples, 95):F0} ms, p99 {Percentile(samples, 99):F0} ms, max {samples[^1]:F0} ms");

        await ProbeAsync(services.GetRequiredService<ReportStore>(), campaign.Id, yearStart);

        var month = ReportRange.Parse("2025-03-01", "2025-03-31", "America/New_York", DateTimeOffset.UtcNow);
        samples.Clear();
        for (var i = 0; i < Runs; i++)
        {
            watch.Restart();
            await stats.GetAsync(campaign.Id, month, default);
            samples.Add(watch.Elapsed.TotalMilliseconds);
        }

        samples.Sort();
        Console.WriteLine($"stats: one-month GET: p50 {Percentile(samples, 50):F0} ms, p99 {Percentile(samples, 99):F0} ms");
    }

    /// <summary>
    /// BENCH_CALL_ROWS=n adds n projection (c|) and n marker (i|) rows to the campaign's partition, as a real table
    /// holds one of each per call: Azurite scans the whole table per query, so they slow the aggregate reads there.
    /// </summary>
    private static async Task WriteCallRowsAsync(TableClient table, string campaignId, DateTimeOffset yearStart, Random random)
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("BENCH_CALL_ROWS"), out var n) ? n : 0;
        if (count <= 0)
        {
            return;
        }

        var watch = Stopwatch.StartNew();
        var batches = Enumerable.Range(0, count / 50).Select(b => Enumerable.Range(b * 50, 50).SelectMany(i =>
        {
            var entry = new CallEntry
            {
                CallId = $"CON-{i:D8}-{random.Next():x8}",
                CampaignId = campaignId,
                Start = yearStart.AddSeconds(random.Next(365 * 86400)),
                CallerNumber = "+1202" + random.Next(10_000_000).ToString("D7", CultureInfo.InvariantCulture),
                Outcome = CallOutcome.Answered,
                DurationSeconds = 95,
                TalkSeconds = 80,
                RecordingUrl = "https://api.nexmo.com/v1/files/" + Guid.NewGuid(),
                CallerCountry = "US",
                CallerLineType = "mobile",
            };
            return new[] { entry.ToProjectionRow(), entry.ToIndexRow() };
        }).Select(row => new TableTransactionAction(TableTransactionActionType.UpsertReplace, row)).ToList()).ToList();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            async (batch, ct) => await table.SubmitTransactionAsync(batch, ct));
        Console.WriteLine($"stats: added {count:N0} c| and {count:N0} i| rows in {watch.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Where a full-year read spends its time: each key-range query alone, and turning rows into aggregates.</summary>
    private static async Task ProbeAsync(ReportStore store, string campaignId, DateTimeOffset yearStart)
    {
        async Task<List<TableEntity>> TimeAsync(string what, IAsyncEnumerable<TableEntity> query)
        {
            var samples = new List<double>();
            var rows = new List<TableEntity>();
            for (var i = 0; i < 5; i++)
            {
                rows.Clear();
                var watch = Stopwatch.StartNew();
                await foreach (var row in query)
                {
                    rows.Add(row);
                }

                samples.Add(watch.Elapsed.TotalMilliseconds);
            }

            samples.Sort();
            Console.WriteLine($"probe: {what}: {rows.Count} rows, median {samples[2]:F0} ms");
            return rows;
        }

        var months = await TimeAsync("month rows Feb..Dec", store.QueryMonthsAsync(campaignId, yearStart.AddMonths(1), yearStart.AddYears(1), default));
        var days = await TimeAsync("day rows of January", store.QueryDaysAsync(campaignId, yearStart, yearStart.AddMonths(1), default));
        var hours = await TimeAsync("hour rows of one day", store.QueryHoursAsync(campaignId, yearStart, yearStart.AddDays(1), default));
        await TimeAsync("no rows (empty range)", store.QueryHoursAsync(campaignId, yearStart.AddYears(3), yearStart.AddYears(3).AddHours(1), default));
        var all = months.Concat(days).Concat(hours).ToList();
        var parse = Stopwatch.StartNew();
        var total = new HourAggregate();
        foreach (var row in all)
        {
            total.Add(HourAggregate.FromEntity(row));
        }

        var parsed = parse.Elapsed.TotalMilliseconds;
        var bucket = Stopwatch.StartNew();
        var report = RangeReport.Empty(ReportRange.Parse("2025-01-01", "2025-12-31", "America/New_York", DateTimeOffset.UtcNow));
        foreach (var row in all)
        {
            report.AddBucket(ReportKeys.BucketStart(row.RowKey), HourAggregate.FromEntity(row));
        }

        Console.WriteLine($"probe: parse + bucketing into New York hours and days {bucket.Elapsed.TotalMilliseconds:F0} ms");
        var estimate = Stopwatch.StartNew();
        var unique = total.Callers.Estimate();
        Console.WriteLine($"probe: parse + sum of {all.Count} rows {parsed:F0} ms, sketch estimate {estimate.Elapsed.TotalMilliseconds:F1} ms ({unique:N0})");
    }

    public static double Percentile(List<double> sorted, int p) =>
        sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];

    public static async Task<Campaign> NewCampaignAsync(CampaignStore campaigns, string prefix)
    {
        var campaign = new Campaign
        {
            Id = $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)],
            Name = prefix,
            TrackingNumber = "+4420" + Random.Shared.Next(10000000, 99999999),
            AgentNumber = "+14155550101",
            MonthlySpend = 5000,
        };
        await campaigns.SaveAsync([campaign]);
        return campaign;
    }
}

/// <summary>
/// CSV export of 100,000 calls: in process (the table paging and the writer, into a counting stream and into the
/// MemoryStream the worker really writes to; then the writer alone over rows in memory), then end to end through our local Functions host (HTTP → gRPC →
/// the real worker process), once as one 100,000-row part and once in 25,000-row parts following Link rel="next".
/// </summary>
internal static class CsvBench
{
    private const int Rows = 100_000;

    public static async Task RunAsync(IServiceProvider services, CampaignStore campaigns, TableClient table, string connection)
    {
        var campaign = await StatsBench.NewCampaignAsync(campaigns, "bench-csv");
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var watch = Stopwatch.StartNew();
        var random = new Random(7);
        var batches = Enumerable.Range(0, Rows / 100).Select(b => Enumerable.Range(b * 100, 100).Select(i => new TableTransactionAction(
            TableTransactionActionType.UpsertReplace,
            new CallEntry
            {
                CallId = $"CON-{i:D8}-{Guid.NewGuid():N}",
                CampaignId = campaign.Id,
                Start = start.AddSeconds(i * 300L),
                End = start.AddSeconds((i * 300L) + 95),
                TrackingNumber = "+442079460000",
                CallerNumber = "+1202" + random.Next(10_000_000).ToString("D7", CultureInfo.InvariantCulture),
                Outcome = (CallOutcome)random.Next(8),
                DurationSeconds = 95,
                TalkSeconds = 80,
                RecordingUrl = "https://api.nexmo.com/v1/files/" + Guid.NewGuid(),
                CarrierCostMicros = random.Next(100_000),
                CallerCountry = "US",
                CallerCarrier = "Acme, \"Mobile\"",
                CallerLineType = "mobile",
            }.ToProjectionRow())).ToList()).ToList();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            async (batch, ct) => await table.SubmitTransactionAsync(batch, ct));
        Console.WriteLine($"csv: wrote {Rows:N0} projection rows in {watch.Elapsed.TotalSeconds:F1} s");

        var records = services.GetRequiredService<CallRecordsService>();
        var filter = new Dictionary<string, string?> { ["campaign"] = campaign.Id, ["from"] = "2025-01-01", ["to"] = "2025-12-31" };
        var query = CallQuery.ParseExport(filter, "US", DateTimeOffset.UtcNow, records.CsvRowsPerPart);
        for (var run = 1; run <= 2; run++)
        {
            // Run 1: a counting stream (the export alone); run 2: a MemoryStream, as the worker's response body.
            using var output = run < 2 ? new CountingStream() : (Stream)new MemoryStream();
            GC.Collect();
            var before = GC.GetTotalAllocatedBytes(precise: true);
            watch.Restart();
            var part = await records.ExportPartAsync(query, output, default);
            var seconds = watch.Elapsed.TotalSeconds;
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            var mib = output.Length / 1024.0 / 1024.0;
            Console.WriteLine($"csv: in-process run {run} ({(run < 2 ? "counting stream" : "MemoryStream")}): {part.Rows:N0} rows, {mib:F1} MiB " +
                              $"({output.Length / (double)part.Rows:F0} B/row) in {seconds:F2} s = {part.Rows / seconds:N0} rows/s, {mib / seconds:F1} MiB/s; " +
                              $"allocated {allocated / (double)part.Rows:N0} B/row; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1024 / 1024} MiB; " +
                              $"more: {part.Continuation is not null}");
        }

        // The writer alone, over rows of the same shape already in memory: the export's cost without the table reads.
        var details = Enumerable.Range(0, Rows).Select(i => new CallDetail(
            $"CON-{i:D8}-{Guid.NewGuid():N}", campaign.Id, campaign.Name, "+442079460000",
            "+1202" + random.Next(10_000_000).ToString("D7", CultureInfo.InvariantCulture), (CallOutcome)random.Next(8),
            start.AddSeconds(i * 300L), start.AddSeconds((i * 300L) + 95), 95, 80, "https://api.nexmo.com/v1/files/" + Guid.NewGuid(),
            random.Next(100_000) / 1_000_000m, 0m, "US", "Acme, \"Mobile\"", "mobile", (i & 1) == 0)).ToList();
        for (var run = 1; run <= 2; run++)
        {
            using var counting = new CountingStream();
            GC.Collect();
            var before = GC.GetTotalAllocatedBytes(precise: true);
            watch.Restart();
            var written = await CallCsvWriter.WriteAsync(counting, ToAsync(details), default);
            var seconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine($"csv: writer only, run {run}: {written:N0} rows in {seconds:F2} s = {written / seconds:N0} rows/s, " +
                              $"{counting.Length / 1024.0 / 1024.0 / seconds:F1} MiB/s; allocated {(GC.GetTotalAllocatedBytes(precise: true) - before) / (double)written:N0} B/row");
        }

        details.Clear();
        await EndToEndAsync(campaign.Id, connection);
    }

    private static async IAsyncEnumerable<CallDetail> ToAsync(List<CallDetail> details)
    {
        foreach (var detail in details)
        {
            yield return detail;
        }

        await Task.CompletedTask;
    }

    private static async Task EndToEndAsync(string campaignId, string connection)
    {
        var root = RepositoryRoot();
        var app = Path.Combine(root, "CallTracking.Functions", "bin", "Release", "net10.0");
        if (!File.Exists(Path.Combine(app, "worker.config.json")))
        {
            Console.WriteLine($"csv: end to end skipped: {app} has no built app (dotnet build CallTracking.Functions -c Release)");
            return;
        }

        var options = new LocalHostOptions { Port = 0, AppDirectory = app, SettingsFile = Path.Combine(root, "local.settings.json.example"), EnableQueueTriggers = false };
        options.Settings[StorageNames.StorageConnection] = connection;
        options.Settings["Vonage__SignatureSecret"] = "bench-secret";
        using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
        await using var host = await LocalFunctionsHost.StartAsync(options, loggers);
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        Console.WriteLine($"csv: local host up, worker pid {host.WorkerProcessId}, worker peak RSS at start {PeakRssMiB(host.WorkerProcessId)} MiB");

        foreach (var limit in new int?[] { 25_000, null }) // small parts first: VmHWM only grows
        {
            var url = $"api/calls.csv?campaign={campaignId}&from=2025-01-01&to=2025-12-31" + (limit is null ? "" : $"&limit={limit}");
            var watch = Stopwatch.StartNew();
            long rows = 0, bytes = 0;
            var parts = 0;
            while (url is not null)
            {
                using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
                response.EnsureSuccessStatusCode();
                await using var body = await response.Content.ReadAsStreamAsync();
                var buffer = new byte[81920];
                for (int read; (read = await body.ReadAsync(buffer)) > 0;)
                {
                    bytes += read;
                }

                rows += long.Parse(response.Headers.GetValues("X-Row-Count").Single(), CultureInfo.InvariantCulture);
                parts++;
                url = response.Headers.TryGetValues("Link", out var links) ? links.Single().Split('>')[0].TrimStart('<') : null;
            }

            var seconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine($"csv: HTTP end to end, {(limit is null ? "default part size" : $"limit={limit:N0}")}: {parts} part(s), {rows:N0} rows, " +
                              $"{bytes / 1024.0 / 1024.0:F1} MiB in {seconds:F2} s = {rows / seconds:N0} rows/s, {bytes / 1024.0 / 1024.0 / seconds:F1} MiB/s; " +
                              $"worker peak RSS so far {PeakRssMiB(host.WorkerProcessId)} MiB");
        }
    }

    /// <summary>VmHWM: the process's peak resident set since it started (Linux).</summary>
    private static long PeakRssMiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    private static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "CallTracking.sln")))
        {
            root = root.Parent;
        }

        return root?.FullName ?? throw new InvalidOperationException("Run the bench from the repository.");
    }

    /// <summary>Discards what is written and counts it: measures the export, not a disk.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => _length += count;

        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _length += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>Runs an async cleanup at the end of a scope (the shared Azurite fixture is an xunit lifetime, not a disposable).</summary>
internal sealed class AsyncCleanup(Func<Task> cleanup) : IAsyncDisposable
{
    public async ValueTask DisposeAsync() => await cleanup();
}
