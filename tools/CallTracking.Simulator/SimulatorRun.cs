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
        // The app's Voice API base points at the simulator's with a hold share or a port given (callbacks); recordings
        // must be fetchable there too.
        await using var voiceApi = holdCalls > 0 || arguments.VoiceApiPort is not null ? SimVoiceApi.Start(arguments.VoiceApiPort ?? 0) : null;
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
            voiceApi.Callbacks.Player = new SimCallbackPlayer(http, signer, new CallbackPlayerOptions { Seed = arguments.Seed, AnswerFraction = arguments.CallbackAnswer });
            await Console.Error.WriteLineAsync($"Voice API for hold transfers, callbacks and recordings at {voiceApi.BaseUrl} (the app's Vonage__VoiceApiBaseUrl must point here).");
        }

        var report = await sender.RunAsync(calls, cancellationToken);
        var hold = voiceApi is null || holdCalls == 0 ? null
            : await new HoldPlayer(http, signer, voiceApi).RunAsync(holdCampaigns, holdCalls, arguments.Seed, cancellationToken);
        var summary = SimulationSummary.From(arguments.Seed, report, hold);
        // Callbacks follow the missed calls by the app's processing delay; only campaigns with a policy get them.
        if (voiceApi is null || !campaigns.Any(c => c.Callback is not null))
        {
            return summary;
        }

        await WaitForCallbacksAsync(voiceApi.Callbacks, TimeSpan.FromSeconds(arguments.CallbackWaitSeconds), cancellationToken);
        return summary.WithCallbacks(voiceApi.Callbacks.Attempts, campaigns);
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
