namespace CallTracking.LocalHost.Configuration;

/// <summary>What to run and how; filled from the command line (<see cref="CommandLine"/>) or by a test fixture.</summary>
public sealed class LocalHostOptions
{
    /// <summary>Port of the HTTP front end on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; } = 7071;

    /// <summary>The built Functions app (the folder with worker.config.json), as <c>func start</c> runs it.</summary>
    public string AppDirectory { get; set; } = "";

    /// <summary>A local.settings.json to read; null searches the current folder, then the app folder.</summary>
    public string? SettingsFile { get; set; }

    /// <summary>Settings that win over the settings file and the process environment (tests use this).</summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Enforce function and admin keys (<c>func start</c> does not, so neither do we by default).</summary>
    public bool RequireKeys { get; set; }

    /// <summary>Run queue triggers; off lets HTTP-only runs work without storage.</summary>
    public bool EnableQueueTriggers { get; set; } = true;

    /// <summary>How long the worker may take from spawn to all functions loaded.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a terminated worker gets to exit before it is killed.</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(5);
}
