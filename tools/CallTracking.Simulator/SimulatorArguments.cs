using System.Globalization;
using System.Text;

namespace CallTracking.Simulator;

/// <summary>Command-line options of the simulator.</summary>
public sealed record SimulatorArguments
{
    public const string Usage = """
        Plays Vonage's side of inbound calls against a CallTracking deployment.

        dotnet run --project tools/CallTracking.Simulator -- --base-url http://127.0.0.1:7071 --calls 500 --rate 20 \
            --signature-secret <secret> [--api-key <key>] [--application-id <id>] [--seed 42] [--duplicates 0.1] \
            [--shuffle 0.2] [--summary <file>] [--campaigns <file>|fetch] [--concurrency 32] [--event-rate <req/s>] \
            [--recording-base-url <url>] [--function-key <key>] [--hold-share 0.1] [--voice-api-port <port>] \
            [--callback-answer 0.5] [--callback-wait <s>] [--quiet]

          --base-url            Where CallTracking runs (loopback for local runs).
          --calls               Number of calls (default 100).
          --rate                New calls per second (default 20).
          --signature-secret    Vonage signature secret the app verifies webhooks with (or env VONAGE_SIGNATURE_SECRET).
          --api-key             api_key claim (default: env VONAGE_API_KEY or "simulator").
          --seed                Makes the calls reproducible (default: random, printed).
          --duplicates          Fraction of events and recordings delivered twice (default 0).
          --shuffle             Fraction of calls whose events arrive out of order (default 0).
          --summary             Also write the summary as JSON to this file.
          --campaigns           Campaign JSON file (our campaign shape), or "fetch" for GET /api/campaigns (default).
          --concurrency         Calls in flight at once (default 32).
          --event-rate          Benchmark: open-loop, every request on its own slot at this many requests/s.
          --function-key        Function key for GET /api/campaigns on a host that enforces keys (Azure, or the local
                                host with --require-keys); or env CALLTRACKING_FUNCTION_KEY. Sent as x-functions-key.
          --hold-share          Fraction of calls played as busy-agent / hold-queue calls on the whenBusy campaigns (default
                                0): one call occupies the agent, the others wait, a quarter hang up, the rest are transferred.
                                The app's Vonage__VoiceApiBaseUrl must point at the simulator's Voice API (printed).
          --voice-api-port      Runs the simulator's Voice API on this loopback port (0: any free port, printed); it also
                                runs, on a free port, with --hold-share. Point the app's Vonage__VoiceApiBaseUrl at it.
                                One listener serves the hold transfers (PUT /v1/calls/{uuid}), the missed-call callbacks
                                (POST /v1/calls; campaigns need a callback policy: callback: {attempts, intervalMinutes,
                                onlyWhenOpen}) and the calls' recordings (GET /v1/files/{id}).
          --recording-base-url  Base of the recordings' URLs (default: the simulator's Voice API when it runs, else
                                https://api-us.nexmo.com/v1/files/).
          --callback-answer     Share of callback attempts the agent answers (default 0.5).
          --callback-wait       After the calls, keep playing callbacks until none has come for this many seconds
                                (default 90: the app's processing delay plus a minute; use more than intervalMinutes
                                to see later attempts). Only when the Voice API runs and a campaign has a callback policy.
        """;

    public const string FunctionKeyVariable = "CALLTRACKING_FUNCTION_KEY";

    public required Uri BaseUrl { get; init; }

    public int Calls { get; init; } = 100;

    public double Rate { get; init; } = 20;

    public required string SignatureSecret { get; init; }

    public string ApiKey { get; init; } = "simulator";

    public string? ApplicationId { get; init; }

    public int Seed { get; init; }

    public double Duplicates { get; init; }

    public double Shuffle { get; init; }

    public string? SummaryFile { get; init; }

    public string Campaigns { get; init; } = "fetch";

    public int Concurrency { get; init; } = 32;

    public double? EventRate { get; init; }

    /// <summary>Where the simulated recordings live; null: the simulator's Voice API with a hold share, else Vonage's.</summary>
    public string? RecordingBaseUrl { get; init; }

    public const string VonageRecordingBaseUrl = "https://api-us.nexmo.com/v1/files/";

    public bool Quiet { get; init; }

    /// <summary>
    /// Port of the simulator's Voice API (0: a free one); null: it runs (on a free port) only with <see cref="HoldShare"/>.
    /// </summary>
    public int? VoiceApiPort { get; init; }

    public double CallbackAnswer { get; init; } = 0.5;

    public int CallbackWaitSeconds { get; init; } = 90;

    /// <summary>Sent as <c>x-functions-key</c> on the function-level requests (the campaign listing); null when none.</summary>
    public string? FunctionKey { get; init; }

    /// <summary>Fraction of the calls played as hold-queue calls on the <c>whenBusy</c> campaigns.</summary>
    public double HoldShare { get; init; }

    /// <summary>The record's printout without the secrets (the default one would print them).</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"BaseUrl = {BaseUrl}, Calls = {Calls}, Rate = {Rate}, SignatureSecret = ***, ApiKey = {ApiKey}, ")
            .Append(CultureInfo.InvariantCulture, $"ApplicationId = {ApplicationId}, Seed = {Seed}, Duplicates = {Duplicates}, Shuffle = {Shuffle}, ")
            .Append(CultureInfo.InvariantCulture, $"SummaryFile = {SummaryFile}, Campaigns = {Campaigns}, Concurrency = {Concurrency}, EventRate = {EventRate}, ")
            .Append(CultureInfo.InvariantCulture, $"RecordingBaseUrl = {RecordingBaseUrl}, Quiet = {Quiet}, FunctionKey = {(FunctionKey is null ? "(none)" : "***")}, ")
            .Append(CultureInfo.InvariantCulture, $"HoldShare = {HoldShare}, VoiceApiPort = {VoiceApiPort}, CallbackAnswer = {CallbackAnswer}, ")
            .Append(CultureInfo.InvariantCulture, $"CallbackWaitSeconds = {CallbackWaitSeconds}");
        return true;
    }

    /// <exception cref="ArgumentException">With a message naming the bad option.</exception>
    public static SimulatorArguments Parse(IReadOnlyList<string> args, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Unexpected argument '{name}'.");
            }

            if (name is "--quiet" or "--help")
            {
                flags.Add(name);
                continue;
            }

            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{name} needs a value.");
            }

            values[name] = args[++i];
        }

        if (flags.Contains("--help"))
        {
            throw new ArgumentException("");
        }

        var known = new[]
        {
            "--base-url", "--calls", "--rate", "--signature-secret", "--api-key", "--application-id", "--seed", "--duplicates",
            "--shuffle", "--summary", "--campaigns", "--concurrency", "--event-rate", "--recording-base-url",
            "--function-key", "--hold-share", "--voice-api-port", "--callback-answer", "--callback-wait",
        };
        if (values.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
        {
            throw new ArgumentException($"Unknown option {unknown}.");
        }

        var baseUrl = values.GetValueOrDefault("--base-url") ?? throw new ArgumentException("--base-url is required.");
        if (!Uri.TryCreate(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException("--base-url must be an absolute http(s) URL.");
        }

        var secret = values.GetValueOrDefault("--signature-secret") ?? environment("VONAGE_SIGNATURE_SECRET");
        if (string.IsNullOrEmpty(secret))
        {
            throw new ArgumentException("--signature-secret (or VONAGE_SIGNATURE_SECRET) is required.");
        }

        return new SimulatorArguments
        {
            BaseUrl = uri,
            Calls = Int("--calls", 100, 1, 1_000_000),
            Rate = Double("--rate", 20, 0.01, 100_000),
            SignatureSecret = secret,
            ApiKey = values.GetValueOrDefault("--api-key") ?? environment("VONAGE_API_KEY") ?? "simulator",
            ApplicationId = values.GetValueOrDefault("--application-id"),
            Seed = values.ContainsKey("--seed") ? Int("--seed", 0, int.MinValue, int.MaxValue) : Random.Shared.Next(),
            Duplicates = Double("--duplicates", 0, 0, 1),
            Shuffle = Double("--shuffle", 0, 0, 1),
            SummaryFile = values.GetValueOrDefault("--summary"),
            Campaigns = values.GetValueOrDefault("--campaigns") ?? "fetch",
            Concurrency = Int("--concurrency", 32, 1, 10_000),
            EventRate = values.ContainsKey("--event-rate") ? Double("--event-rate", 0, 0.01, 1_000_000) : null,
            RecordingBaseUrl = values.GetValueOrDefault("--recording-base-url"),
            Quiet = flags.Contains("--quiet"),
            FunctionKey = FunctionKeyOption(),
            HoldShare = Double("--hold-share", 0, 0, 1),
            VoiceApiPort = values.ContainsKey("--voice-api-port") ? Int("--voice-api-port", 0, 0, 65535) : null,
            CallbackAnswer = Double("--callback-answer", 0.5, 0, 1),
            CallbackWaitSeconds = Int("--callback-wait", 90, 0, 86_400),
        };

        // The flag wins; an empty flag is a mistake (e.g. an unset shell variable), not a request to use the environment.
        string? FunctionKeyOption()
        {
            if (values.TryGetValue("--function-key", out var flag))
            {
                return string.IsNullOrWhiteSpace(flag) ? throw new ArgumentException("--function-key needs a value.") : flag.Trim();
            }

            return environment(FunctionKeyVariable) is { } variable && !string.IsNullOrWhiteSpace(variable) ? variable.Trim() : null;
        }

        int Int(string name, int fallback, int min, int max) =>
            !values.TryGetValue(name, out var text) ? fallback
            : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? value
            : throw new ArgumentException($"{name} must be a whole number from {min} to {max}.");

        double Double(string name, double fallback, double min, double max) =>
            !values.TryGetValue(name, out var text) ? fallback
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? value
            : throw new ArgumentException($"{name} must be a number from {min} to {max}.");
    }
}
