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
        await using var voiceApi = arguments.VoiceApiPort is { } port ? SimCallbackVoiceApi.Start(port) : null;
        if (voiceApi is not null)
        {
            voiceApi.Player = new SimCallbackPlayer(http, signer, new CallbackPlayerOptions { Seed = arguments.Seed, AnswerFraction = arguments.CallbackAnswer });
            Console.Error.WriteLine($"Callback Voice API on {voiceApi.BaseUrl}: the app's Vonage__VoiceApiBaseUrl must point here.");
        }

        var report = await sender.RunAsync(calls, cancellationToken);
        var summary = SimulationSummary.From(arguments.Seed, report);
        if (voiceApi is null)
        {
            return summary;
        }

        await WaitForCallbacksAsync(voiceApi, TimeSpan.FromSeconds(arguments.CallbackWaitSeconds), cancellationToken);
        return summary.WithCallbacks(voiceApi.Attempts, campaigns);
    }

    /// <summary>Until no attempt has come for <paramref name="quiet"/> (counted from the end of the calls at first), and all are played.</summary>
    public static async Task WaitForCallbacksAsync(SimCallbackVoiceApi voiceApi, TimeSpan quiet, CancellationToken cancellationToken)
    {
        var since = DateTimeOffset.UtcNow;
        while (true)
        {
            var last = voiceApi.LastRequestAt is { } at && at > since ? at : since;
            var left = last + quiet - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            await Task.Delay(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), cancellationToken);
        }

        await voiceApi.WhenPlayedAsync();
    }
}
