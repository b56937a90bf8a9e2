namespace CallTracking.Simulator;

/// <summary>One simulator run: load campaigns, generate the calls, send them, summarise.</summary>
public static class SimulatorRun
{
    public static HttpClient CreateHttpClient(Uri baseUrl, int concurrency) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(concurrency, 16),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(1), // Vonage's answer_url connect timeout
        })
        {
            BaseAddress = baseUrl,
            Timeout = TimeSpan.FromSeconds(10), // Vonage's event_url socket timeout
        };

    public static async Task<SimulationSummary> RunAsync(SimulatorArguments arguments, HttpClient http, CancellationToken cancellationToken)
    {
        var campaigns = await CampaignSource.LoadAsync(arguments.Campaigns, http, arguments.FunctionKey, cancellationToken);
        var calls = new ScenarioGenerator(new GeneratorOptions
        {
            Seed = arguments.Seed,
            DuplicateFraction = arguments.Duplicates,
            ShuffleFraction = arguments.Shuffle,
            CallsPerSecond = arguments.EventRate is { } eventRate ? eventRate / 9 : arguments.Rate,
            Epoch = DateTimeOffset.UtcNow,
            RecordingBaseUrl = arguments.RecordingBaseUrl,
        }).Generate(campaigns, arguments.Calls);

        var signer = new VonageRequestSigner(arguments.SignatureSecret, arguments.ApiKey, arguments.ApplicationId);
        var sender = new VonageSender(http, signer, new SenderOptions
        {
            CallsPerSecond = arguments.Rate,
            MaxConcurrentCalls = arguments.Concurrency,
            OpenLoopRequestsPerSecond = arguments.EventRate,
        });
        var report = await sender.RunAsync(calls, cancellationToken);
        return SimulationSummary.From(arguments.Seed, report);
    }
}
