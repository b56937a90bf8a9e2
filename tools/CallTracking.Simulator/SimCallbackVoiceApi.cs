using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CallTracking.Simulator;

/// <summary>
/// The simulator's Voice API for missed-call callbacks, served by <see cref="SimVoiceApi"/>'s one listener: the app
/// places each callback attempt with <c>POST /v1/calls</c>. Each request is recorded and answered 201
/// <c>{uuid, conversation_uuid}</c> like Vonage; then <see cref="Player"/> plays the attempt's events (the agent answers
/// and the caller is connected, or the agent does not answer) to the event URL the app gave. Without a player yet the
/// answer is 503, which the app treats as "not placed" and retries.
/// </summary>
public sealed class SimCallbackVoiceApi
{
    public const string CreateCallPath = "/v1/calls";

    private readonly ConcurrentQueue<SimCallbackAttempt> _attempts = new();
    private readonly ConcurrentDictionary<Task, bool> _playing = new();
    private long _lastRequestTicks;

    /// <summary>Plays the attempts; set once the app's address is known.</summary>
    public SimCallbackPlayer? Player { get; set; }

    /// <summary>Every create-call request answered 201, in arrival order.</summary>
    public IReadOnlyList<SimCallbackAttempt> Attempts => _attempts.ToArray();

    /// <summary>When the last create-call request arrived (null: none yet).</summary>
    public DateTimeOffset? LastRequestAt => Interlocked.Read(ref _lastRequestTicks) is var t and > 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    /// <summary>Waits until every attempt received so far has been played.</summary>
    public Task WhenPlayedAsync() => Task.WhenAll(_playing.Keys);

    /// <summary>Answers one <c>POST /v1/calls</c> and starts playing the attempt (the response is not closed here).</summary>
    public async Task HandleCreateCallAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var response = context.Response;
        var player = Player;
        if (player is null)
        {
            response.StatusCode = 503;
            return;
        }

        var request = CreateCallRequest.Parse(body);
        if (request is null)
        {
            response.StatusCode = 400;
            await WriteJsonAsync(response, new JsonObject { ["title"] = "Bad Request", ["detail"] = "to, from and an NCCO connect endpoint are required" });
            return;
        }

        Interlocked.Exchange(ref _lastRequestTicks, DateTimeOffset.UtcNow.UtcTicks);
        var attempt = player.Decide(request, Guid.NewGuid().ToString(), "CON-" + Guid.NewGuid()) with { Authorization = context.Request.Headers["Authorization"] };
        _attempts.Enqueue(attempt);
        response.StatusCode = 201;
        await WriteJsonAsync(response, new JsonObject
        {
            ["uuid"] = attempt.LegUuid,
            ["status"] = "started",
            ["direction"] = "outbound",
            ["conversation_uuid"] = attempt.ConversationUuid,
        });

        // Played after the answer, as Vonage's events follow its 201; the player waits a moment before the first one.
        var play = player.PlayAsync(attempt);
        _playing.TryAdd(play, true);
        _ = play.ContinueWith(t => _playing.TryRemove(t, out _), TaskScheduler.Default);
    }

    private static async Task WriteJsonAsync(HttpListenerResponse response, JsonObject json)
    {
        var bytes = Encoding.UTF8.GetBytes(json.ToJsonString());
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
    }
}

/// <summary>What the app asked for: the agent (called first), the tracking number, the caller, where events go.</summary>
public sealed record CreateCallRequest(string AgentDigits, string TrackingDigits, string CallerDigits, string? EventUrl)
{
    public static CreateCallRequest? Parse(string body)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }

        var agent = Text(Prop(First(Prop(root, "to")), "number"));
        var tracking = Text(Prop(Prop(root, "from"), "number"));
        var connect = (Prop(root, "ncco") as JsonArray)?.OfType<JsonObject>().FirstOrDefault(a => Text(a["action"]) == "connect");
        var caller = Text(Prop(First(Prop(connect, "endpoint")), "number"));
        var eventUrl = Text(First(Prop(root, "event_url")));
        return agent is null || tracking is null || caller is null ? null : new CreateCallRequest(agent, tracking, caller, eventUrl);
    }

    private static JsonNode? Prop(JsonNode? node, string name) => (node as JsonObject)?[name];

    private static JsonNode? First(JsonNode? node) => node is JsonArray { Count: > 0 } array ? array[0] : null;

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}

/// <summary>One callback attempt as received and played. <see cref="Answered"/>: the agent answered and the caller was connected.</summary>
public sealed record SimCallbackAttempt(
    CreateCallRequest Request,
    string LegUuid,
    string ConversationUuid,
    bool Answered,
    DateTimeOffset ReceivedAt)
{
    /// <summary>Requests for this tracking number and caller before this one (0 for the first).</summary>
    public int Ordinal { get; init; }

    /// <summary>The request's Authorization header (the app's application JWT), for the caller to verify.</summary>
    public string? Authorization { get; init; }

    /// <summary>Events the app did not accept after retries (0 when all were delivered).</summary>
    public int FailedEvents { get; set; }
}
