using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace CallTracking.Simulator;

public sealed record CallbackPlayerOptions
{
    /// <summary>Share of attempts the agent answers (the caller is then connected).</summary>
    public double AnswerFraction { get; init; } = 0.5;

    public int Seed { get; init; }

    /// <summary>Where events go when the request named no event URL (the Vonage application's own event URL).</summary>
    public string EventPath { get; init; } = "api/event";

    /// <summary>
    /// Real-time pause before each step of an attempt. The first one stands for the time Vonage takes to dial; the
    /// caller's leg starts only a few steps later, as the agent hears the whisper first (so the app has written the
    /// attempt's record, which tells its two legs apart, before the second leg's events arrive).
    /// </summary>
    public TimeSpan Step { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Attempts per event (Vonage retries 5xx, 429 and network errors).</summary>
    public int MaxAttempts { get; init; } = 20;
}

/// <summary>
/// Plays the events of one callback attempt the way Vonage would for <c>POST /v1/calls</c>: the agent's leg (the one
/// created) rings; either the agent answers, the whisper plays and the caller's leg is connected, both hang up; or
/// the agent's phone rings out (timeout) or is busy. Whether the agent answers is decided from the seed, the numbers
/// and how many attempts came before for them, so a run is reproducible whatever order requests arrive in.
/// </summary>
public sealed class SimCallbackPlayer(HttpClient http, VonageRequestSigner signer, CallbackPlayerOptions options)
{
    private readonly ConcurrentDictionary<(string, string), int> _ordinals = new();

    public SimCallbackAttempt Decide(CreateCallRequest request, string legUuid, string conversationUuid)
    {
        var ordinal = _ordinals.AddOrUpdate((request.TrackingDigits, request.CallerDigits), 0, (_, n) => n + 1);
        var answered = Unit(options.Seed, request.TrackingDigits, request.CallerDigits, ordinal) < options.AnswerFraction;
        return new SimCallbackAttempt(request, legUuid, conversationUuid, answered, DateTimeOffset.UtcNow) { Ordinal = ordinal };
    }

    public async Task PlayAsync(SimCallbackAttempt attempt, CancellationToken cancellationToken = default)
    {
        var r = attempt.Request;
        var callerLeg = Guid.NewGuid().ToString();
        var path = EventPath(r.EventUrl);
        var steps = attempt.Answered
            ? new (string Leg, string Status, string To)[]
            {
                (attempt.LegUuid, "started", r.AgentDigits), (attempt.LegUuid, "ringing", r.AgentDigits), (attempt.LegUuid, "answered", r.AgentDigits),
                (callerLeg, "started", r.CallerDigits), (callerLeg, "ringing", r.CallerDigits), (callerLeg, "answered", r.CallerDigits),
                (callerLeg, "completed", r.CallerDigits), (attempt.LegUuid, "completed", r.AgentDigits),
            }
            : [(attempt.LegUuid, "started", r.AgentDigits), (attempt.LegUuid, "ringing", r.AgentDigits),
                (attempt.LegUuid, attempt.Ordinal % 2 == 0 ? "timeout" : "busy", r.AgentDigits)];
        var answeredAt = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        // Whisper time: the caller's leg starts a few steps after the agent answered.
        foreach (var (leg, status, to) in steps)
        {
            await Task.Delay(leg == callerLeg && status == "started" ? options.Step * 4 : options.Step, cancellationToken);
            var now = DateTimeOffset.UtcNow;
            var body = Event(attempt, leg, status, r.TrackingDigits, to, now, answeredAt);
            if (!await PostAsync(path, body, cancellationToken))
            {
                attempt.FailedEvents++;
            }
        }
    }

    private static byte[] Event(SimCallbackAttempt attempt, string leg, string status, string from, string to, DateTimeOffset now,
        Dictionary<string, DateTimeOffset> answeredAt)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("from", from);
            w.WriteString("to", to);
            w.WriteString("uuid", leg);
            w.WriteString("conversation_uuid", attempt.ConversationUuid);
            w.WriteString("status", status);
            w.WriteString("direction", "outbound");
            w.WriteString("timestamp", ScenarioGenerator.Iso(now));
            if (status == "answered")
            {
                answeredAt[leg] = now;
                w.WriteNull("start_time");
                w.WriteNull("rate");
                w.WriteNull("network");
            }
            else if (status == "completed" && answeredAt.TryGetValue(leg, out var start))
            {
                var seconds = Math.Max(1, (int)Math.Round((now - start).TotalSeconds));
                w.WriteString("start_time", ScenarioGenerator.Iso(start));
                w.WriteString("end_time", ScenarioGenerator.Iso(now));
                w.WriteString("duration", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
                w.WriteString("rate", ScenarioGenerator.Money(0.01400000m));
                w.WriteString("price", ScenarioGenerator.Money(ScenarioGenerator.Price(0.01400000m, seconds)));
                w.WriteString("network", "23410");
                w.WriteString("disconnected_by", "user");
            }

            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The path of the event URL the app gave (the simulator always talks to its own base URL).</summary>
    private string EventPath(string? eventUrl) =>
        eventUrl is not null && Uri.TryCreate(eventUrl, UriKind.Absolute, out var uri) ? uri.PathAndQuery.TrimStart('/') : options.EventPath;

    private async Task<bool> PostAsync(string path, byte[] body, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            HttpStatusCode? status = null;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", signer.SignBody(body));
                using var response = await http.SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }

                status = response.StatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // A network error: retried like a 5xx.
            }

            if ((status is not null and not HttpStatusCode.TooManyRequests and < HttpStatusCode.InternalServerError) || attempt >= options.MaxAttempts)
            {
                return false;
            }

            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(4).Ticks));
        }
    }

    /// <summary>A stable number in [0, 1) from the inputs (FNV-1a; string.GetHashCode differs per process).</summary>
    private static double Unit(int seed, string tracking, string caller, int ordinal)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in $"{seed}|{tracking}|{caller}|{ordinal}")
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        // FNV leaves the high bits poorly mixed for inputs differing at the end: a finalizer (MurmurHash3's fmix64) fixes that.
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;

        return (hash >> 11) / (double)(1UL << 53);
    }
}
