using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using CallTracking.Functions.CallFlow;
using CallTracking.Functions.Common;
using CallTracking.Tests.CallFlow;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Xunit;

namespace CallTracking.Tests.Deployment;

/// <summary>
/// The static fallback-ncco.json (Vonage's fallback answer URL, served by the storage account's static website) is
/// what the app's own fallback returns for an unknown called number: scripts/fallback-ncco is compared, byte for byte,
/// with <see cref="FallbackNcco"/>, so the two cannot drift apart. The postdeploy hook is run with a stand-in `az`.
/// </summary>
public class FallbackNccoFileTests
{
    private const string AppUrl = "https://func-api-test.azurewebsites.net";
    private const string WebEndpoint = "https://sttest.z13.web.core.windows.net/";

    private static string Generator => RepositoryPaths.Combine("scripts", "fallback-ncco");

    /// <summary>The app's fallback NCCO when it does not know the called number (the static file cannot know it either).</summary>
    private static byte[] AppFallback(string? fallbackNumber) =>
        new FallbackNcco(Options.Create(new CallTrackingOptions { FallbackNumber = fallbackNumber, DefaultCountry = "US" }))
            .Build(trackingNumber: null, new CallbackUrls(AppUrl));

    private static Task<ProcessResult> GenerateAsync(params string[] arguments) =>
        RunAsync("bash", [Generator, .. arguments], environment: null);

    [Fact]
    public async Task Without_a_fallback_number_the_file_is_the_apps_apology()
    {
        var result = await GenerateAsync("--base-url", AppUrl + "/");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Encoding.UTF8.GetString(AppFallback(null)), result.Output);
        GoldenNcco.AssertMatches("fallback-apology", result.OutputBytes, new Dictionary<string, string>());
    }

    [Theory]
    [InlineData("+14155550100", "14155550100")]
    [InlineData("+1 (415) 555-0100", "14155550100")]
    [InlineData("+44 20 7946 0000", "442079460000")]
    [InlineData("0044 7700 900123", "447700900123")]
    [InlineData("+33 1.23.45.67.89", "33123456789")]
    public async Task With_a_fallback_number_the_file_connects_to_it_as_the_app_does(string number, string digits)
    {
        var app = AppFallback(number);
        Assert.Contains($"\"number\":\"{digits}\"", Encoding.UTF8.GetString(app)); // the app does connect, to these digits

        var result = await GenerateAsync("--base-url", AppUrl, "--number", number);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Encoding.UTF8.GetString(app), result.Output);
    }

    [Fact]
    public async Task Text_with_quotes_backslashes_and_line_breaks_is_escaped_as_the_app_writes_it()
    {
        const string text = "We're \"closed\" \\ back soon.\r\n\tCall again — merci é";
        var writer = NccoWriter.Start();
        NccoWriter.WriteTalk(writer, CompiledCampaign.Encode(text));
        var expected = NccoWriter.Finish(writer);

        var result = await GenerateAsync("--base-url", AppUrl, "--apology", text);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Encoding.UTF8.GetString(expected), result.Output);
        Assert.Equal(text, JsonNode.Parse(result.OutputBytes)![0]!["text"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("07700 900123")] // national: only the app, with its default country, can read it
    [InlineData("4155550100")]
    [InlineData("+44 (0) 20 7946 0000")]
    [InlineData("+1 415 CALL NOW")]
    [InlineData("+12345")]
    public async Task A_number_the_script_cannot_read_as_the_app_would_is_refused_not_guessed(string number)
    {
        var result = await GenerateAsync("--base-url", AppUrl, "--number", number);

        Assert.Equal(3, result.ExitCode);
        Assert.Empty(result.Output);
        Assert.Contains(number, result.Errors);
    }

    [Fact]
    public async Task The_postdeploy_hook_publishes_the_apps_fallback_and_prints_it_as_the_GET_fallback_answer_url()
    {
        using var fake = new FakeAzure();

        var result = await fake.RunHookAsync(fallbackNumber: "+44 20 7946 0000");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(AppFallback("+44 20 7946 0000"), fake.Uploaded);
        Assert.Contains(
            "storage blob upload --auth-mode login --account-name sttest --container-name $web --name fallback-ncco.json",
            fake.AzCalls);
        Assert.Contains($"Fallback URL  GET   {WebEndpoint}fallback-ncco.json", result.Output);
        Assert.Contains($"Answer URL    POST  {AppUrl}/api/answer", result.Output);
        Assert.Contains($"--voice-fallback-url='{WebEndpoint}fallback-ncco.json' --voice-fallback-http=GET", result.Output);
        Assert.DoesNotContain("NOT published", result.Errors);
        Assert.DoesNotContain("does not serve", result.Errors); // the stand-in web endpoint served exactly the upload
    }

    [Fact]
    public async Task The_postdeploy_hook_prints_how_to_get_the_master_key_for_admin_calls_and_the_function_key_for_reports()
    {
        using var fake = new FakeAzure();

        var result = await fake.RunHookAsync(fallbackNumber: "+44 20 7946 0000");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"master=\$\(az functionapp keys list --resource-group \S+ --name \S+ --query masterKey -o tsv\)", result.Output);
        Assert.Matches(@"key=\$\(az functionapp keys list --resource-group \S+ --name \S+ --query functionKeys.default -o tsv\)", result.Output);
        Assert.Contains($"curl -X POST \"{AppUrl}/api/campaigns/import\" -H \"x-functions-key: $master\"", result.Output);
        Assert.DoesNotContain("keys list", fake.AzCalls); // printed for the user, never run: the hook needs no key
    }

    [Fact]
    public async Task The_hook_publishes_the_apology_and_says_why_when_the_number_is_national()
    {
        using var fake = new FakeAzure();

        var result = await fake.RunHookAsync(fallbackNumber: "07700 900123");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(AppFallback(null), fake.Uploaded);
        Assert.Contains("only apologises", result.Errors);
        Assert.Contains("apologises and hangs up", result.Output);
    }

    [Fact]
    public async Task When_the_upload_keeps_failing_the_hook_retries_then_prints_how_to_publish_by_hand()
    {
        using var fake = new FakeAzure(uploadFails: true);

        var result = await fake.RunHookAsync(fallbackNumber: "");

        Assert.Equal(0, result.ExitCode); // the deployment itself succeeded; the hook explains what is left to do
        Assert.Equal(6, fake.AzCalls.Split('\n').Count(c => c.StartsWith("storage blob upload ", StringComparison.Ordinal)));
        Assert.Contains("storage blob service-properties update --auth-mode login --account-name sttest --static-website true", fake.AzCalls);
        Assert.Contains("The fallback NCCO was NOT published", result.Errors);
        Assert.Contains($"scripts/fallback-ncco --base-url '{AppUrl}' > fallback-ncco.json", result.Errors);
    }

    /// <summary>A directory with stand-ins for `az` (logs its arguments, keeps the uploaded file) and `curl` (serves it).</summary>
    private sealed class FakeAzure : IDisposable
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("fake-azure-").FullName;
        private readonly bool _uploadFails;

        public FakeAzure(bool uploadFails = false)
        {
            _uploadFails = uploadFails;
            Write("az", """
                #!/bin/sh
                echo "$*" >> "$FAKE_DIR/az.log"
                case "$1 $2 $3" in
                  "storage blob upload")
                    [ -z "${FAKE_UPLOAD_FAILS:-}" ] || exit 1
                    while [ $# -gt 0 ]; do
                      if [ "$1" = --file ]; then cp "$2" "$FAKE_DIR/uploaded"; fi
                      shift
                    done ;;
                  "keyvault secret list") echo vonage-signature-secret ;;
                esac
                exit 0
                """);
            Write("curl", """
                #!/bin/sh
                cat "$FAKE_DIR/uploaded"
                """);
        }

        public byte[] Uploaded => File.ReadAllBytes(Path.Combine(_directory, "uploaded"));

        public string AzCalls => File.ReadAllText(Path.Combine(_directory, "az.log"));

        public Task<ProcessResult> RunHookAsync(string fallbackNumber)
        {
            var environment = new Dictionary<string, string>
            {
                // Only the stand-ins and the system tools: no real az, azd or curl.
                ["PATH"] = $"{_directory}:/usr/bin:/bin",
                ["HOME"] = _directory,
                ["FAKE_DIR"] = _directory,
                ["FALLBACK_UPLOAD_RETRY_SECONDS"] = "0",
                ["AZURE_FUNCTION_URL"] = AppUrl,
                ["AZURE_FUNCTION_NAME"] = "func-api-test",
                ["AZURE_RESOURCE_GROUP"] = "rg-test",
                ["AZURE_KEY_VAULT_NAME"] = "kv-test",
                ["AZURE_STORAGE_ACCOUNT_NAME"] = "sttest",
                ["AZURE_STORAGE_WEB_ENDPOINT"] = WebEndpoint,
                ["CALLTRACKING_FALLBACK_NUMBER"] = fallbackNumber,
                ["VONAGE_APPLICATION_ID"] = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
            };
            if (_uploadFails)
            {
                environment["FAKE_UPLOAD_FAILS"] = "1";
            }

            // As azure.yaml runs it on Linux and macOS: `sh` (dash here), not bash.
            return RunAsync("sh", [RepositoryPaths.Combine("scripts", "azd-postdeploy.sh")], environment);
        }

        public void Dispose() => Directory.Delete(_directory, recursive: true);

        private void Write(string name, string script)
        {
            var path = Path.Combine(_directory, name);
            File.WriteAllText(path, script.ReplaceLineEndings("\n") + "\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
    }

    private sealed record ProcessResult(int ExitCode, byte[] OutputBytes, string Errors)
    {
        public string Output => Encoding.UTF8.GetString(OutputBytes);
    }

    /// <param name="environment">The whole environment of the process; null: this process's.</param>
    private static async Task<ProcessResult> RunAsync(string fileName, string[] arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            info.Environment.Clear();
            foreach (var (name, value) in environment)
            {
                info.Environment[name] = value;
            }
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}");
        using var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within a minute");
        }

        await copy;
        return new ProcessResult(process.ExitCode, output.ToArray(), await errors);
    }
}
