using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CallTracking.Simulator;

namespace CallTracking.IngestBench;

/// <summary>
/// The calls a bench sends: a few campaigns imported through the admin API, calls and their Vonage requests from the
/// simulator's <see cref="ScenarioGenerator"/> (both legs, every outcome), signed by <see cref="VonageRequestSigner"/>
/// with a fresh token per request, as Vonage does.
/// </summary>
public sealed class BenchCalls(HttpClient http, VonageRequestSigner signer)
{
    public const string Secret = "ingest-bench-signature-secret";

    // Two of the four record calls, so recording webhooks are part of the mix; all forward to impact.com.
    private const string CampaignsJson = """
        [
          {"id":"bench-tv","name":"Bench TV","trackingNumber":"+14155550101","agentNumber":"+14155550199","impact":{"campaignId":1,"mediaId":2,"actionTrackerId":3}},
          {"id":"bench-radio","name":"Bench Radio","trackingNumber":"+14155550102","agentNumber":"+14155550199","recordCalls":true,"recordingNotice":{"text":"This call may be recorded."},"impact":{"campaignId":1,"mediaId":4,"actionTrackerId":3}},
          {"id":"bench-print","name":"Bench Print","trackingNumber":"+447700900101","agentNumber":"+447700900199","impact":{"campaignId":1,"mediaId":5,"actionTrackerId":3}},
          {"id":"bench-web","name":"Bench Web","trackingNumber":"+447700900102","agentNumber":"+447700900199","recordCalls":true,"impact":{"campaignId":1,"mediaId":6,"actionTrackerId":3}}
        ]
        """;

    public static VonageRequestSigner CreateSigner() => new(Secret, "bench");

    public async Task ImportCampaignsAsync()
    {
        using var content = new StringContent(CampaignsJson, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("api/campaigns/import", UriKind.Relative), content);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Campaign import: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    public static IReadOnlyList<SimulatedCall> Generate(int calls, int seed, double callsPerSecond) =>
        new ScenarioGenerator(new GeneratorOptions { Seed = seed, CallsPerSecond = callsPerSecond, Epoch = DateTimeOffset.UtcNow })
            .Generate(CampaignSource.Parse(CampaignsJson), calls);

    /// <summary>
    /// The event webhooks of the calls (the connected plan: every campaign is always open), interleaved in waves of
    /// <paramref name="wave"/> calls so one call's events are spread out as on the real platform and in order.
    /// </summary>
    public static List<Delivery> InterleavedEvents(IReadOnlyList<SimulatedCall> calls, int wave)
    {
        var result = new List<Delivery>();
        foreach (var group in calls.Chunk(wave))
        {
            var sequences = group.Select(c => c.Connected.Deliveries.Where(d => d.Kind == DeliveryKind.Event).ToList()).ToList();
            for (var step = 0; step < sequences.Max(s => s.Count); step++)
            {
                result.AddRange(sequences.Where(s => step < s.Count).Select(s => s[step]));
            }
        }

        return result;
    }

    public async Task<HttpStatusCode> AnswerAsync(SimulatedCall call, CancellationToken cancellationToken = default)
    {
        var uri = "api/answer?" + string.Join("&", call.AnswerQuery.Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value)));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(uri, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", signer.SignQuery(call.AnswerQuery));
        using var response = await http.SendAsync(request, cancellationToken);
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        return response.StatusCode;
    }

    /// <summary>POSTs a webhook body, signed at send time (so the signature cost is in the measured request).</summary>
    public async Task<HttpStatusCode> PostAsync(string path, byte[] body, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", signer.SignBody(body));
        using var response = await http.SendAsync(request, cancellationToken);
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        return response.StatusCode;
    }

    /// <summary>
    /// Waits until the host answers <c>/api/health</c> (which also goes through the worker) quickly three times in a
    /// row, so the requests a phase abandoned (timed out) are not still being worked off when the next phase starts.
    /// </summary>
    public async Task WaitUntilIdleAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var quick = 0;
        while (quick < 3 && clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.GetAsync(new Uri("api/health", UriKind.Relative));
                quick = response.IsSuccessStatusCode && System.Diagnostics.Stopwatch.GetElapsedTime(started) < TimeSpan.FromMilliseconds(100) ? quick + 1 : 0;
            }
            catch (TaskCanceledException)
            {
                quick = 0;
            }

            await Task.Delay(200);
        }
    }

    public static HttpClient CreateClient(Uri baseAddress) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(10), // Vonage's event_url socket timeout: later is a failed delivery
        };
}
