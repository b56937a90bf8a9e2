using System.Diagnostics;
using System.Globalization;

namespace CallTracking.ProcessingBench;

/// <summary>CPU time of a process (Linux /proc), to separate our cost from a busy shared machine's.</summary>
public static class CpuTime
{
    public static Process? FindProcessWithArgument(string name, string value)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                var index = Array.IndexOf(args, name);
                if (index >= 0 && index + 1 < args.Length && args[index + 1] == value && args.Any(a => a.Contains("azurite", StringComparison.Ordinal)))
                {
                    return Process.GetProcessById(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
            }
        }

        return null;
    }

    public static TimeSpan Of(Process? process)
    {
        if (process is null)
        {
            return TimeSpan.Zero;
        }

        process.Refresh();
        return process.TotalProcessorTime;
    }

    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
