using System.Diagnostics;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using CallTracking.Functions.Common;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace CallTracking.Tests.Infrastructure;

/// <summary>
/// A real Azurite (from the repository's node_modules) on free ports, started once per test collection.
/// In memory by default; <see cref="AzuriteFixture(bool)"/> with true keeps data on disk so a test can restart it.
/// </summary>
public class AzuriteFixture : IAsyncLifetime
{
    public const string AccountName = "devstoreaccount1";

    // Azurite's well-known development key (public, documented by Microsoft); not a secret.
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly bool _persistToDisk;
    private readonly StringBuilder _output = new();
    private Process? _process;
    private string? _location;

    public AzuriteFixture() : this(persistToDisk: false)
    {
    }

    protected AzuriteFixture(bool persistToDisk) => _persistToDisk = persistToDisk;

    public int BlobPort { get; } = FreePorts.Next();

    public int QueuePort { get; } = FreePorts.Next();

    public int TablePort { get; } = FreePorts.Next();

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{AccountName};" +
        $"QueueEndpoint=http://127.0.0.1:{QueuePort}/{AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};";

    /// <summary>Configuration as the worker would see it, plus any extra settings.</summary>
    public IConfiguration Configuration(IDictionary<string, string?>? extra = null)
    {
        var values = new Dictionary<string, string?> { [StorageNames.StorageConnection] = ConnectionString };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    public TableServiceClient TableService() => StorageClients.CreateTableServiceClient(Configuration());

    public QueueServiceClient QueueService() => StorageClients.CreateQueueServiceClient(Configuration());

    public BlobServiceClient BlobService() => StorageClients.CreateBlobServiceClient(Configuration());

    public virtual async Task InitializeAsync()
    {
        if (_persistToDisk)
        {
            _location = Directory.CreateTempSubdirectory("azurite-").FullName;
        }

        await StartAsync();
    }

    public virtual async Task DisposeAsync()
    {
        await StopAsync();
        if (_location is not null)
        {
            try
            {
                Directory.Delete(_location, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The port Azurite itself listens on for a service the app reaches on <paramref name="port"/>.</summary>
    protected virtual int ListenPort(int port) => port;

    /// <summary>
    /// Stops and starts Azurite on the same ports (data survives only with disk persistence). The stop is graceful:
    /// Azurite keeps its table and queue metadata in LokiJS databases it saves only every 5 s and on shutdown, so a
    /// kill would lose writes it had acknowledged (which real Azure Storage never does).
    /// </summary>
    public virtual async Task RestartAsync()
    {
        await StopGracefullyAsync(TimeSpan.FromSeconds(60));
        await StartAsync();
    }

    /// <summary>
    /// SIGTERM: Azurite closes its services, saving their databases, and says so; then the process is killed (after
    /// saying so, Node lingers for up to minutes). A kill after <paramref name="timeout"/> if it never says so.
    /// </summary>
    public async Task StopGracefullyAsync(TimeSpan timeout)
    {
        if (_process is { HasExited: false } process && !OperatingSystem.IsWindows())
        {
            string[] closed = ["Azurite Queue service successfully closed", "Azurite Table service successfully closed"];
            var before = closed.Select(Occurrences).ToArray();
            using (var signal = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", process.Id.ToString() } }))
            {
                await signal!.WaitForExitAsync();
            }

            var deadline = DateTime.UtcNow + timeout;
            while (!process.HasExited && closed.Select(Occurrences).Zip(before).Any(c => c.First == c.Second))
            {
                if (DateTime.UtcNow > deadline)
                {
                    Append($"Azurite did not close within {timeout} of SIGTERM; killing it");
                    break;
                }

                await Task.Delay(100);
            }
        }

        await StopAsync();
    }

    private int Occurrences(string text)
    {
        lock (_output)
        {
            var all = _output.ToString();
            var count = 0;
            for (var i = all.IndexOf(text, StringComparison.Ordinal); i >= 0; i = all.IndexOf(text, i + text.Length, StringComparison.Ordinal))
            {
                count++;
            }

            return count;
        }
    }

    public async Task StartAsync()
    {
        var azurite = RepositoryPaths.Combine("node_modules", ".bin", "azurite");
        if (!File.Exists(azurite))
        {
            throw new InvalidOperationException($"Azurite is not installed at {azurite}: run 'npm ci' in the repository root.");
        }

        var workingDirectory = _location ?? Path.GetTempPath();
        var info = new ProcessStartInfo(azurite)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in new[]
                 {
                     "--blobHost", "127.0.0.1", "--blobPort", ListenPort(BlobPort).ToString(),
                     "--queueHost", "127.0.0.1", "--queuePort", ListenPort(QueuePort).ToString(),
                     "--tableHost", "127.0.0.1", "--tablePort", ListenPort(TablePort).ToString(),
                     "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl",
                 })
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add(_location is null ? "--inMemoryPersistence" : "--location");
        if (_location is not null)
        {
            info.ArgumentList.Add(_location);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("Could not start Azurite");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var process = _process;
        foreach (var port in new[] { BlobPort, QueuePort, TablePort }.Select(ListenPort))
        {
            try
            {
                // Generous: on a busy shared 2-core machine Azurite alone took 20 s to listen.
                await FreePorts.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(120), () => process.HasExited);
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException($"Azurite did not start listening on {port}. Output:\n{Output}", ex);
            }
        }
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
