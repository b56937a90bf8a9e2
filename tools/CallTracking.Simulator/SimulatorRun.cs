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
        // The whenBusy campaigns get only the hold scenario (the mix's calls on them would find their agent busy and be
        // held, which the mix does not play); the others the usual mix.
        var holdCalls = (int)Math.Round(arguments.Calls * arguments.HoldShare, MidpointRounding.AwayFromZero);
        var holdCampaigns = campaigns.Where(c => c.WhenBusy is not null).ToList();
        var mixCampaigns = holdCampaigns.Count < campaigns.Count ? campaigns.Where(c => c.WhenBusy is null).ToList() : campaigns;
        // The app's Voice API base points at the simulator's with a hold share; recordings must be fetchable there too.
        await using var voiceApi = holdCalls > 0 ? SimVoiceApi.Start(arguments.VoiceApiPort) : null;
        var calls = new ScenarioGenerator(new GeneratorOptions
        {
            Seed = arguments.Seed,
            DuplicateFraction = arguments.Duplicates,
            ShuffleFraction = arguments.Shuffle,
            CallsPerSecond = arguments.EventRate is { } eventRate ? eventRate / 9 : arguments.Rate,
            Epoch = DateTimeOffset.UtcNow,
            RecordingBaseUrl = arguments.RecordingBaseUrl ?? voiceApi?.RecordingBaseUrl ?? SimulatorArguments.VonageRecordingBaseUrl,
        }).Generate(mixCampaigns, Math.Max(0, arguments.Calls - holdCalls));

        var signer = new VonageRequestSigner(arguments.SignatureSecret, arguments.ApiKey, arguments.ApplicationId);
        var sender = new VonageSender(http, signer, new SenderOptions
        {
            CallsPerSecond = arguments.Rate,
            MaxConcurrentCalls = arguments.Concurrency,
            OpenLoopRequestsPerSecond = arguments.EventRate,
        });
        if (voiceApi is not null)
        {
            await Console.Error.WriteLineAsync($"Voice API for hold transfers and recordings at {voiceApi.BaseUrl} (the app's Vonage__VoiceApiBaseUrl must point here).");
        }

        var report = await sender.RunAsync(calls, cancellationToken);
        var hold = voiceApi is null ? null
            : await new HoldPlayer(http, signer, voiceApi).RunAsync(holdCampaigns, holdCalls, arguments.Seed, cancellationToken);
        return SimulationSummary.From(arguments.Seed, report, hold);
    }
}
