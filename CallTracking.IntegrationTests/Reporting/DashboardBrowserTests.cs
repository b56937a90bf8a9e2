using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CallTracking.Functions.Callbacks;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Reporting;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit;

namespace CallTracking.Tests.Reporting;

/// <summary>The app through the local host with function keys enforced, as in Azure.</summary>
public sealed class KeyedFunctionsHostFixture : FunctionsHostFixture
{
    public const string FunctionKey = "dashboard-test-key";

    /// <summary>Small CSV parts, so the tests' few dozen calls already span several parts.</summary>
    public const int CsvRowsPerPart = 20;

    protected override bool RequireKeys => true;

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["LocalHost__FunctionKey"] = FunctionKey;
        settings["Reporting__CsvRowsPerPart"] = CsvRowsPerPart.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

[CollectionDefinition(Name)]
public sealed class KeyedFunctionsHostCollection : ICollectionFixture<KeyedFunctionsHostFixture>
{
    public const string Name = "KeyedFunctionsHost";
}

/// <summary>
/// Loads the dashboard from the running app in headless Chromium (Debian's <c>chromium</c>, never a downloaded
/// browser): the page asks for the key, renders charts whose totals match the stats API, masks callers, and
/// downloads the CSV. Leaves a screenshot in <c>artifacts/dashboard/</c>.
/// </summary>
[Collection(KeyedFunctionsHostCollection.Name)]
public class DashboardBrowserTests(KeyedFunctionsHostFixture app)
{
    private const string ChromiumPath = "/usr/bin/chromium";

    [Fact]
    public async Task Dashboard_renders_the_right_totals_and_downloads_the_CSV()
    {
        Assert.True(File.Exists(ChromiumPath), "Debian's chromium is needed: apt-get install -y chromium (scripts/test does it).");

        // Calls of September 2024 in two campaigns, processed as the pipeline would.
        await using var services = TestServices.Create(app.Azurite);
        var data = new ReportingFixtures(services);
        var campaignA = await data.CampaignAsync(name: "Radio, \"morning\" slot", monthlySpend: 900m);
        var campaignB = await data.CampaignAsync(name: "Search ads");
        var start = new DateTimeOffset(2024, 9, 1, 0, 0, 0, TimeSpan.Zero);
        var calls = ReportingFixtures.MonthOfCalls(77, campaignA.Id, start, 45).Concat(ReportingFixtures.MonthOfCalls(78, campaignB.Id, start, 30)).ToList();
        calls[0].CallerNumber = "+12025550188";
        await data.ProcessAsync(calls);
        const string range = "from=2024-09-01&to=2024-09-30&tz=UTC";

        // The APIs need the key; the page does not.
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.GetAsync("api/stats?" + range)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("api/dashboard")).StatusCode);
        var request = new HttpRequestMessage(HttpMethod.Get, "api/stats?" + range);
        request.Headers.Add("x-functions-key", KeyedFunctionsHostFixture.FunctionKey);
        var statsResponse = await app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, statsResponse.StatusCode);
        var stats = await statsResponse.Content.ReadFromJsonAsync<JsonElement>();
        var totalCalls = stats.GetProperty("totals").GetProperty("calls").GetInt64();
        Assert.Equal(calls.Count, totalCalls); // this collection has its own Azurite

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            AcceptDownloads = true,
            ViewportSize = new ViewportSize { Width = 1280, Height = 1800 },
            TimezoneId = "UTC",
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(app.Host.BaseAddress, "api/dashboard#" + range).ToString());

        // The page asks for the key once and keeps it for the tab.
        await page.Locator("#key-input").FillAsync(KeyedFunctionsHostFixture.FunctionKey);
        await page.Locator("#key-form button[type=submit]").ClickAsync();
        await page.WaitForSelectorAsync("body[data-loaded=true]", new PageWaitForSelectorOptions { Timeout = 30_000 });
        Assert.Equal(KeyedFunctionsHostFixture.FunctionKey, await page.EvaluateAsync<string>("sessionStorage.getItem('calltracking.functionKey')"));

        Assert.Equal(totalCalls.ToString("N0", System.Globalization.CultureInfo.GetCultureInfo("en-US")), await page.Locator("#kpi-calls").InnerTextAsync());
        Assert.Equal(totalCalls, await ChartSumAsync(page, "outcome-chart", allDatasets: false));
        Assert.Equal(totalCalls, await ChartSumAsync(page, "timeline-chart", allDatasets: false)); // the "Calls" line
        Assert.Equal(totalCalls, await ChartSumAsync(page, "hour-chart", allDatasets: true)); // answered + missed + other
        Assert.Equal(stats.GetProperty("totals").GetProperty("answered").GetInt64(),
            await page.EvaluateAsync<long>("Chart.getChart('outcome-chart').data.datasets[0].data[0]"));
        Assert.True(await page.Locator($"article.card[data-campaign='{campaignA.Id}']").IsVisibleAsync());
        Assert.Contains(campaignA.Name, await page.Locator($"article.card[data-campaign='{campaignA.Id}'] h3").InnerTextAsync());

        // Selecting a campaign reads its own stats; callers are masked until revealed.
        await page.Locator($"article.card[data-campaign='{campaignA.Id}']").ClickAsync();
        await WaitUntilAsync(page, $"() => !!window.dashboard.stats && window.dashboard.stats.campaign.id === '{campaignA.Id}'");
        Assert.Equal(45, await ChartSumAsync(page, "outcome-chart", allDatasets: false));
        await page.WaitForSelectorAsync($"tr[data-call='{calls[0].PartitionKey}']");
        var callerCell = page.Locator($"tr[data-call='{calls[0].PartitionKey}'] td.caller");
        Assert.Equal("+120******88", await callerCell.InnerTextAsync());
        await page.Locator("#reveal").ClickAsync();
        Assert.Equal("+12025550188", await callerCell.InnerTextAsync());

        Directory.CreateDirectory(RepositoryPaths.Combine("artifacts", "dashboard"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = RepositoryPaths.Combine("artifacts", "dashboard", "dashboard.png"), FullPage = true });

        // The CSV button downloads this campaign's calls as one file: 45 calls come in parts of 20 (the page follows
        // Link rel="next", sending the key as a header, and drops the repeated header rows).
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#csv").ClickAsync());
        Assert.Equal($"calls-{campaignA.Id}-20240901-20241001.csv", download.SuggestedFilename);
        Assert.DoesNotContain("code=", await page.Locator("#csv").GetAttributeAsync("href") ?? "");
        var path = await download.PathAsync();
        var rows = Rfc4180.Parse(await File.ReadAllTextAsync(path));
        Assert.True(45 > KeyedFunctionsHostFixture.CsvRowsPerPart * 2);
        Assert.Equal(46, rows.Count);
        Assert.Single(rows, r => r[0] == "id");
        Assert.All(rows.Skip(1), r => Assert.Equal(campaignA.Name, r[2]));
        Assert.Equal(calls.Where(c => c.CampaignId == campaignA.Id).Select(c => c.PartitionKey).Order(), rows.Skip(1).Select(r => r[0]).Order());

        await page.SetViewportSizeAsync(390, 844); // a phone
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = RepositoryPaths.Combine("artifacts", "dashboard", "dashboard-phone.png"), FullPage = true });
    }

    [Fact]
    public async Task Dashboard_shows_live_calls_refreshes_itself_pausably_and_lists_masked_callers()
    {
        Assert.True(File.Exists(ChromiumPath), "Debian's chromium is needed: apt-get install -y chromium (scripts/test does it).");
        await using var services = TestServices.Create(app.Azurite);
        var data = new ReportingFixtures(services);
        var campaign = await data.CampaignAsync(name: "Live desk");
        var calls = ReportingFixtures.MonthOfCalls(91, campaign.Id, new DateTimeOffset(2023, 5, 1, 0, 0, 0, TimeSpan.Zero), 12);
        calls[0].CallerNumber = "+12025550177";
        await data.ProcessAsync(calls);
        var callers = services.GetRequiredService<CallerList>();
        foreach (var call in calls)
        {
            await callers.RunAsync(new CallProcessingContext(ProcessedCallMapper.From(call)!, null, false), CancellationToken.None);
        }

        // Callback attempts of May 2023: attempt 1 twice (one connected), attempt 2 once (connected).
        var store = services.GetRequiredService<CallbackStore>();
        foreach (var (missed, attempt, connected) in new[] { ("m1", 1, false), ("m2", 1, true), ("m1", 2, true) })
        {
            await store.UpsertAsync(CallbackStore.CampaignCopy(new CallbackSlot
            {
                PartitionKey = missed,
                RowKey = CallbackSlot.SlotKey(attempt),
                CampaignId = campaign.Id,
                MissedCallId = missed,
                Attempt = attempt,
                Status = "placed",
                PlacedAt = new DateTimeOffset(2023, 5, 10, 12, attempt, 0, TimeSpan.Zero),
                Connected = connected,
            }), CancellationToken.None);
        }

        var live = services.GetRequiredService<LiveCallIndex>();
        Task RingAsync() => live.TrackAsync(new CallRecord
        {
            PartitionKey = TestServices.UniqueId("CON"),
            CampaignId = campaign.Id,
            InboundStatus = "answered",
            AnsweredAt = DateTimeOffset.UtcNow,
        });
        await RingAsync();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1800 }, TimezoneId = "UTC" });
        var page = await context.NewPageAsync();
        // #refresh=1: the 30-second auto-refresh, every second, so the test need not wait half a minute.
        await page.GotoAsync(new Uri(app.Host.BaseAddress, $"api/dashboard#from=2023-05-01&to=2023-05-31&tz=UTC&campaign={campaign.Id}&refresh=1").ToString());
        await page.Locator("#key-input").FillAsync(KeyedFunctionsHostFixture.FunctionKey);
        await page.Locator("#key-form button[type=submit]").ClickAsync();
        await page.WaitForSelectorAsync("body[data-loaded=true]", new PageWaitForSelectorOptions { Timeout = 30_000 });

        // The campaign's callbacks: totals and the retry table by attempt number.
        Assert.Equal("3", await page.Locator("#kpi-callbacks-attempted").InnerTextAsync());
        Assert.Equal("2", await page.Locator("#kpi-callbacks-connected").InnerTextAsync());
        Assert.Equal("66.7%", await page.Locator("#kpi-callbacks-connect-rate").InnerTextAsync());
        Assert.True(await page.Locator("#callbacks").IsVisibleAsync());
        Assert.Equal(["1", "2", "1", "50.0%"], await page.Locator("#callback-attempts tr[data-attempt='1'] td").AllInnerTextsAsync());
        Assert.Equal(["2", "1", "1", "100.0%"], await page.Locator("#callback-attempts tr[data-attempt='2'] td").AllInnerTextsAsync());

        // Live calls: the KPI and the campaign's card; a call that starts later appears without a reload.
        Assert.Equal("1", await page.Locator("#kpi-live").InnerTextAsync());
        Assert.Equal("1", await page.Locator($"article.card[data-campaign='{campaign.Id}'] [data-live]").GetAttributeAsync("data-live"));
        await RingAsync();
        await WaitUntilAsync(page, "() => document.getElementById('kpi-live').innerText === '2' && window.dashboard.refreshes >= 1");

        // Paused: no refresh happens, however long it stays paused; resumed: the next one shows the third call.
        await page.Locator("#auto-refresh").ClickAsync();
        Assert.Equal("true", await page.Locator("#auto-refresh").GetAttributeAsync("aria-pressed"));
        await Task.Delay(1500); // a refresh that had already started when the button was pressed completes
        var refreshes = await page.EvaluateAsync<int>("window.dashboard.refreshes");
        await RingAsync();
        await Task.Delay(2500);
        Assert.Equal(refreshes, await page.EvaluateAsync<int>("window.dashboard.refreshes"));
        Assert.Equal("2", await page.Locator("#kpi-live").InnerTextAsync());
        await page.Locator("#auto-refresh").ClickAsync();
        await WaitUntilAsync(page, "() => document.getElementById('kpi-live').innerText === '3'");

        // Callers: one row per number, masked until "Show numbers", searchable by the last digits.
        var expected = calls.Where(c => c.CallerNumber is not null).Select(c => c.CallerNumber).Distinct().Count();
        Assert.Equal(Math.Min(expected, 25), await page.Locator("#callers tr[data-caller]").CountAsync());
        var cell = page.Locator("#callers tr[data-caller='+12025550177'] td.caller");
        Assert.Equal("+120******77", await cell.InnerTextAsync());
        await page.Locator("#reveal").ClickAsync();
        Assert.Equal("+12025550177", await cell.InnerTextAsync());
        await page.Locator("#caller-q").FillAsync("550177");
        await page.Locator("#callers-form button[type=submit]").ClickAsync();
        await WaitUntilAsync(page, "() => [...document.querySelectorAll('#callers tr[data-caller]')].every(r => r.dataset.caller.endsWith('550177'))");
        Assert.Equal(1, await page.Locator("#callers tr[data-caller]").CountAsync());

        Directory.CreateDirectory(RepositoryPaths.Combine("artifacts", "dashboard"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = RepositoryPaths.Combine("artifacts", "dashboard", "dashboard-live.png"), FullPage = true });
    }

    [Fact]
    public async Task Dashboard_refreshes_every_30_seconds_only_while_visible_on_a_page_clock()
    {
        Assert.True(File.Exists(ChromiumPath), "Debian's chromium is needed: apt-get install -y chromium (scripts/test does it).");
        await using var services = TestServices.Create(app.Azurite);
        var campaign = await new ReportingFixtures(services).CampaignAsync(name: "Clock desk");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { TimezoneId = "UTC" });
        var page = await context.NewPageAsync();
        // The page's own timers run on Playwright's clock: the default 30-second interval, tested without waiting for it.
        await page.Clock.InstallAsync();
        await page.GotoAsync(new Uri(app.Host.BaseAddress, $"api/dashboard#campaign={campaign.Id}").ToString());
        await page.Locator("#key-input").FillAsync(KeyedFunctionsHostFixture.FunctionKey);
        await page.Locator("#key-form button[type=submit]").ClickAsync();
        await page.WaitForSelectorAsync("body[data-loaded=true]", new PageWaitForSelectorOptions { Timeout = 30_000 });
        Assert.Equal(0, await page.EvaluateAsync<int>("window.dashboard.refreshes"));

        await page.Clock.RunForAsync(25_000);
        Assert.Equal(0, await page.EvaluateAsync<int>("window.dashboard.refreshes"));
        await page.Clock.RunForAsync(6_000);
        await WaitUntilAsync(page, "() => window.dashboard.refreshes === 1");

        // Hidden (another tab): minutes pass without a refresh; shown again: it refreshes at once.
        await page.EvaluateAsync("() => { Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' }); document.dispatchEvent(new Event('visibilitychange')); }");
        await page.Clock.RunForAsync(120_000);
        await Task.Delay(500); // a refresh wrongly started would have had time to count
        Assert.Equal(1, await page.EvaluateAsync<int>("window.dashboard.refreshes"));
        await page.EvaluateAsync("() => { Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' }); document.dispatchEvent(new Event('visibilitychange')); }");
        await WaitUntilAsync(page, "() => window.dashboard.refreshes === 2");

        // Paused: no refresh however long; resumed: the next tick refreshes.
        await page.Locator("#auto-refresh").ClickAsync();
        await page.Clock.RunForAsync(120_000);
        await Task.Delay(500);
        Assert.Equal(2, await page.EvaluateAsync<int>("window.dashboard.refreshes"));
        await page.Locator("#auto-refresh").ClickAsync();
        await page.Clock.RunForAsync(1_000);
        await WaitUntilAsync(page, "() => window.dashboard.refreshes === 3");
    }

    // WaitForFunctionAsync evaluates with eval(), which the page's Content-Security-Policy rightly forbids: poll instead.
    private static async Task WaitUntilAsync(IPage page, string predicate)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); !await page.EvaluateAsync<bool>(predicate); await Task.Delay(100))
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for " + predicate);
        }
    }

    private static Task<long> ChartSumAsync(IPage page, string canvasId, bool allDatasets) =>
        page.EvaluateAsync<long>(
            "([id, all]) => { const c = Chart.getChart(id); const sets = all ? c.data.datasets : [c.data.datasets[0]];"
            + " return sets.reduce((s, d) => s + d.data.reduce((a, b) => a + b, 0), 0); }",
            new object[] { canvasId, allDatasets });
}
