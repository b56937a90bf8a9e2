using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace CallTracking.Simulator;

public sealed record SenderOptions
{
    /// <summary>New calls per second (calls are paced; each call's requests follow one another).</summary>
    public double CallsPerSecond { get; init; } = 20;

    /// <summary>Calls in flight at once.</summary>
    public int MaxConcurrentCalls { get; init; } = 32;

    /// <summary>
    /// Open-loop benchmark mode: when set, every request gets its own slot at this rate and is sent without
    /// waiting for the previous one; latency is measured from the slot's due time.
    /// </summary>
    public double? OpenLoopRequestsPerSecond { get; init; }

    /// <summary>Attempts per event delivery before giving up (Vonage retries 5xx, 429 and network errors).</summary>
    public int MaxAttempts { get; init; } = 8;

    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(4);

    public string AnswerPath { get; init; } = "api/answer";

    public string FallbackPath { get; init; } = "api/fallback";

    public string EventPath { get; init; } = "api/event";
}

/// <summary>What the answer NCCO asked Vonage to do, as far as the simulation cares.</summary>
public sealed record NccoFacts(bool Connects, string? AgentEventPath, string? WhisperPath, bool Records, string? RecordingPath)
{
    public static readonly NccoFacts None = new(false, null, null, false, null);

    public static NccoFacts Parse(string json)
    {
        if (JsonNode.Parse(json) is not JsonArray actions)
        {
            return None;
        }

        var connect = actions.OfType<JsonObject>().FirstOrDefault(a => (string?)a["action"] == "connect");
        var record = actions.OfType<JsonObject>().FirstOrDefault(a => (string?)a["action"] == "record");
        var endpoint = (connect?["endpoint"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault();
        return new NccoFacts(
            connect is not null,
            PathOf((connect?["eventUrl"] as JsonArray)?.FirstOrDefault()),
            PathOf(endpoint?["onAnswer"]?["url"]),
            record is not null,
            PathOf((record?["eventUrl"] as JsonArray)?.FirstOrDefault()));
    }

    /// <summary>Only the path and query are kept: the simulator always talks to its own base URL.</summary>
    private static string? PathOf(JsonNode? url) =>
        url?.GetValueKind() == System.Text.Json.JsonValueKind.String && Uri.TryCreate((string?)url, UriKind.Absolute, out var uri)
            ? uri.PathAndQuery.TrimStart('/')
            : null;
}

/// <summary>The result of one simulated call.</summary>
public sealed record CallResult(
    SimulatedCall Call,
    CallPlan Plan,
    bool AnswerFailed,
    bool UsedFallback,
    int Recordings,
    int Whispers,
    int DuplicatesSent,
    int Requests,
    int Retries,
    int FailedRequests,
    IReadOnlyList<string> Errors);

public sealed record SendReport(IReadOnlyList<CallResult> Calls, IReadOnlyDictionary<string, LatencySummary> Latency,
    TimeSpan Elapsed);

/// <summary>
/// Sends simulated calls to a CallTracking base URL the way Vonage would: the answer request, then each
/// delivery in the plan's order, every request signed. Bounded concurrency and a fixed call rate.
/// </summary>
public sealed class VonageSender(HttpClient http, VonageRequestSigner signer, SenderOptions options)
{
    private readonly LatencyRecorder _latency = new();

    /// <summary>Raised after each request (kind, HTTP status or 0 for a network error); tests use it to watch progress.</summary>
    public event Action<string, int>? RequestCompleted;

    public async Task<SendReport> RunAsync(IReadOnlyList<SimulatedCall> calls, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var results = new CallResult[calls.Count];
        if (options.OpenLoopRequestsPerSecond is { } rate)
        {
            await RunOpenLoopAsync(calls, rate, results, cancellationToken);
        }
        else
        {
            var pacer = new FixedRatePacer(options.CallsPerSecond);
            using var gate = new SemaphoreSlim(options.MaxConcurrentCalls);
            var running = new List<Task>(calls.Count);
            foreach (var call in calls)
            {
                await pacer.WaitAsync(cancellationToken);
                await gate.WaitAsync(cancellationToken);
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        results[call.Index] = await RunCallAsync(call, cancellationToken);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }, cancellationToken));
            }

            await Task.WhenAll(running);
        }

        return new SendReport(results, _latency.Summarize(), clock.Elapsed);
    }

    private async Task<CallResult> RunCallAsync(SimulatedCall call, CancellationToken cancellationToken)
    {
        var tally = new Tally();
        var (facts, answerFailed, usedFallback) = await AnswerAsync(call, tally, cancellationToken);
        var plan = facts.Connects ? call.Connected : call.NotConnected;
        int recordings = 0, whispers = 0, duplicates = 0;
        foreach (var delivery in plan.Deliveries)
        {
            duplicates += delivery.IsDuplicate && (delivery.Kind == DeliveryKind.Event || facts.Records) ? 1 : 0;
            switch (delivery.Kind)
            {
                case DeliveryKind.Event:
                    var path = delivery.Leg == CallLeg.Agent ? facts.AgentEventPath ?? options.EventPath : options.EventPath;
                    await PostAsync("event", path, delivery.Body, tally, cancellationToken);
                    break;
                case DeliveryKind.Recording when facts.Records:
                    await PostAsync("recording", facts.RecordingPath ?? options.EventPath, delivery.Body, tally, cancellationToken);
                    recordings += delivery.IsDuplicate ? 0 : 1;
                    break;
                case DeliveryKind.Whisper when facts.WhisperPath is not null:
                    await GetAsync("whisper", facts.WhisperPath, delivery.Query, tally, cancellationToken);
                    whispers++;
                    break;
            }
        }

        return new CallResult(call, plan, answerFailed, usedFallback, recordings, whispers, duplicates, tally.Requests, tally.Retries,
            tally.Failed, tally.Errors);
    }

    /// <summary>Vonage tries the answer URL twice, then the fallback URL twice; a failure of both ends the call.</summary>
    private async Task<(NccoFacts Facts, bool Failed, bool UsedFallback)> AnswerAsync(SimulatedCall call, Tally tally,
        CancellationToken cancellationToken)
    {
        var body = await GetAsync("answer", options.AnswerPath, call.AnswerQuery, tally, cancellationToken, attempts: 2);
        if (body is not null && TryParse(body, out var facts))
        {
            return (facts, false, false);
        }

        var fallbackQuery = call.AnswerQuery.Append(new("reason", "Connection closed.")).ToList();
        body = await GetAsync("fallback", options.FallbackPath, fallbackQuery, tally, cancellationToken, attempts: 2);
        return body is not null && TryParse(body, out facts) ? (facts, false, true) : (NccoFacts.None, true, true);
    }

    private static bool TryParse(string body, out NccoFacts facts)
    {
        try
        {
            facts = NccoFacts.Parse(body);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            facts = NccoFacts.None;
            return false;
        }
    }

    private async Task<string?> GetAsync(string kind, string path, IReadOnlyList<KeyValuePair<string, string>> query, Tally tally,
        CancellationToken cancellationToken, int? attempts = null)
    {
        // Vonage appends its parameters to any query the URL already has; the payload hash covers them all, in order.
        var split = path.IndexOf('?', StringComparison.Ordinal);
        var existing = split < 0 ? [] : path[(split + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => new KeyValuePair<string, string>(Uri.UnescapeDataString(p[0]), p.Length > 1 ? Uri.UnescapeDataString(p[1]) : ""));
        var all = existing.Concat(query).ToList();
        var uri = (split < 0 ? path : path[..split]) + "?" + string.Join("&",
            all.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        return await SendAsync(kind, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, new Uri(uri, UriKind.Relative));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", signer.SignQuery(all));
            return request;
        }, tally, attempts ?? options.MaxAttempts, Stopwatch.GetTimestamp(), cancellationToken);
    }

    private Task<string?> PostAsync(string kind, string path, byte[] body, Tally tally, CancellationToken cancellationToken,
        long? dueTimestamp = null) =>
        SendAsync(kind, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
            {
                Content = new ByteArrayContent(body),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", signer.SignBody(body));
            return request;
        }, tally, options.MaxAttempts, dueTimestamp ?? Stopwatch.GetTimestamp(), cancellationToken);

    /// <summary>Sends with Vonage-like retries (network errors, 429, 5xx); returns the body of a 2xx or null.</summary>
    private async Task<string?> SendAsync(string kind, Func<HttpRequestMessage> create, Tally tally, int attempts, long dueTimestamp,
        CancellationToken cancellationToken)
    {
        var delay = options.FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            var started = attempt == 1 ? dueTimestamp : Stopwatch.GetTimestamp();
            tally.Count(attempt > 1);
            HttpStatusCode? status = null;
            TimeSpan? retryAfter = null;
            string? error;
            try
            {
                using var request = create();
                using var response = await http.SendAsync(request, cancellationToken);
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                _latency.Add(kind, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                status = response.StatusCode;
                RequestCompleted?.Invoke(kind, (int)response.StatusCode);
                if (response.IsSuccessStatusCode)
                {
                    return text;
                }

                retryAfter = response.Headers.RetryAfter?.Delta;
                error = $"{kind} {request.RequestUri}: HTTP {(int)response.StatusCode} {Truncate(text)}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                RequestCompleted?.Invoke(kind, 0);
                error = $"{kind}: {ex.GetType().Name}: {ex.Message}";
            }

            var transient = status is null or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError;
            if (!transient || attempt >= attempts)
            {
                tally.Fail(error);
                return null;
            }

            await Task.Delay(retryAfter ?? delay, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxRetryDelay.Ticks));
        }
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";

    /// <summary>
    /// Every request of every call gets its own slot at a fixed rate. Calls are interleaved in waves so a call's
    /// events stay spread out in time (as on a real platform) and mostly in order.
    /// </summary>
    private async Task RunOpenLoopAsync(IReadOnlyList<SimulatedCall> calls, double rate, CallResult[] results,
        CancellationToken cancellationToken)
    {
        const int Wave = 16;
        var pacer = new FixedRatePacer(rate);
        var inFlight = new List<Task>();
        var tallies = calls.Select(_ => new Tally()).ToArray();
        foreach (var wave in calls.Chunk(Wave))
        {
            var sequences = wave.Select(c => (Call: c, Items: OpenLoopRequests(c))).ToArray();
            var longest = sequences.Max(s => s.Items.Count);
            for (var step = 0; step < longest; step++)
            {
                foreach (var (call, items) in sequences)
                {
                    if (step >= items.Count)
                    {
                        continue;
                    }

                    var due = await pacer.WaitAsync(cancellationToken);
                    var send = items[step];
                    inFlight.Add(send(tallies[call.Index], due));
                }
            }

            inFlight.RemoveAll(t => t.IsCompleted);
        }

        await Task.WhenAll(inFlight);
        foreach (var call in calls)
        {
            var tally = tallies[call.Index];
            results[call.Index] = new CallResult(call, call.Connected, false, false,
                call.Connected.Deliveries.Count(d => d.Kind == DeliveryKind.Recording && !d.IsDuplicate && call.Campaign.RecordCalls),
                0, call.Connected.Deliveries.Count(d => d.IsDuplicate && (d.Kind == DeliveryKind.Event || call.Campaign.RecordCalls)),
                tally.Requests, tally.Retries, tally.Failed, tally.Errors);
        }
    }

    /// <summary>The answer request and the connected plan's POSTs (recordings when the campaign records).</summary>
    private List<Func<Tally, long, Task>> OpenLoopRequests(SimulatedCall call)
    {
        var items = new List<Func<Tally, long, Task>>
        {
            (tally, due) => SendAsync("answer", () =>
            {
                var uri = options.AnswerPath + "?" + string.Join("&", call.AnswerQuery.Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value)));
                var request = new HttpRequestMessage(HttpMethod.Get, new Uri(uri, UriKind.Relative));
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", signer.SignQuery(call.AnswerQuery));
                return request;
            }, tally, 2, due, cancellationToken: default),
        };
        foreach (var delivery in call.Connected.Deliveries)
        {
            if (delivery.Kind == DeliveryKind.Event ||
                (delivery.Kind == DeliveryKind.Recording && call.Campaign.RecordCalls))
            {
                var kind = delivery.Kind == DeliveryKind.Event ? "event" : "recording";
                var path = delivery.Kind == DeliveryKind.Event ? options.EventPath : "api/recording";
                items.Add((tally, due) => PostAsync(kind, path, delivery.Body, tally, default, due));
            }
        }

        return items;
    }

    private sealed class Tally
    {
        private readonly List<string> _errors = [];
        private int _requests;
        private int _retries;
        private int _failed;

        public int Requests => _requests;

        public int Retries => _retries;

        public int Failed => _failed;

        public IReadOnlyList<string> Errors
        {
            get
            {
                lock (_errors)
                {
                    return _errors.ToList();
                }
            }
        }

        public void Count(bool retry)
        {
            Interlocked.Increment(ref _requests);
            if (retry)
            {
                Interlocked.Increment(ref _retries);
            }
        }

        public void Fail(string error)
        {
            Interlocked.Increment(ref _failed);
            lock (_errors)
            {
                if (_errors.Count < 20)
                {
                    _errors.Add(error);
                }
            }
        }
    }
}
