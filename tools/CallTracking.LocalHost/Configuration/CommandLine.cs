using System.Globalization;
using System.Reflection;

namespace CallTracking.LocalHost.Configuration;

/// <summary>Parses <c>[--port 7071] [--app &lt;dir&gt;] [--settings &lt;file&gt;] [--require-keys] [--no-queues]</c>.</summary>
public static class CommandLine
{
    public const string Usage = """
        Usage: dotnet run --project tools/CallTracking.LocalHost -- [options]
          --port <n>         HTTP port on 127.0.0.1 (default 7071; 0 = any free port)
          --app <dir>        built Functions app folder (default: CallTracking.Functions/bin/<configuration>/net10.0)
          --settings <file>  settings file (default: local.settings.json, else local.settings.json.example,
                             in the current folder, then the app folder)
          --require-keys     enforce function/admin keys (func start does not)
          --no-queues        do not run queue triggers
        """;

    public static LocalHostOptions Parse(IReadOnlyList<string> args)
    {
        var options = new LocalHostOptions();
        string? app = null;
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--port" or "-p":
                    options.Port = int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535
                        ? port
                        : throw new ArgumentException("--port must be a number from 0 to 65535");
                    break;
                case "--app":
                    app = Value();
                    break;
                case "--settings":
                    options.SettingsFile = Path.GetFullPath(Value());
                    break;
                case "--require-keys":
                    options.RequireKeys = true;
                    break;
                case "--no-queues":
                    options.EnableQueueTriggers = false;
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'");
            }
        }

        options.AppDirectory = Path.GetFullPath(app ?? DefaultAppDirectory());
        return options;
    }

    /// <summary>The Functions project's build output for the configuration this host was built with.</summary>
    public static string DefaultAppDirectory()
    {
        var configuration = typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CallTracking.sln")))
            {
                return Path.Combine(dir.FullName, "CallTracking.Functions", "bin", configuration, "net10.0");
            }
        }

        throw new ArgumentException("Cannot find the repository (CallTracking.sln) above the host; pass --app <dir>");
    }
}
