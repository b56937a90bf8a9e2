using CallTracking.Simulator;
using Xunit;

namespace CallTracking.Tests.Simulator;

public class SimulatorArgumentsTests
{
    private static readonly string[] Required = ["--base-url", "http://127.0.0.1:7071", "--signature-secret", "sig-secret"];

    private static SimulatorArguments Parse(IEnumerable<string> extra, Dictionary<string, string>? environment = null) =>
        SimulatorArguments.Parse([.. Required, .. extra], name => environment?.GetValueOrDefault(name));

    [Fact]
    public void Function_key_comes_from_the_flag()
    {
        Assert.Equal("flag-key", Parse(["--function-key", "flag-key"]).FunctionKey);
    }

    [Fact]
    public void Function_key_falls_back_to_the_environment()
    {
        var arguments = Parse([], new() { [SimulatorArguments.FunctionKeyVariable] = "env-key" });

        Assert.Equal("CALLTRACKING_FUNCTION_KEY", SimulatorArguments.FunctionKeyVariable);
        Assert.Equal("env-key", arguments.FunctionKey);
    }

    [Fact]
    public void The_flag_wins_over_the_environment()
    {
        var arguments = Parse(["--function-key", "flag-key"], new() { [SimulatorArguments.FunctionKeyVariable] = "env-key" });

        Assert.Equal("flag-key", arguments.FunctionKey);
    }

    [Fact]
    public void No_key_anywhere_is_none_and_a_blank_variable_counts_as_unset()
    {
        Assert.Null(Parse([]).FunctionKey);
        Assert.Null(Parse([], new() { [SimulatorArguments.FunctionKeyVariable] = "  " }).FunctionKey);
    }

    [Fact]
    public void An_empty_flag_is_an_error_not_a_silent_fallback()
    {
        var error = Assert.Throws<ArgumentException>(() => Parse(["--function-key", ""], new() { [SimulatorArguments.FunctionKeyVariable] = "env-key" }));

        Assert.Equal("--function-key needs a value.", error.Message);
        Assert.Throws<ArgumentException>(() => Parse(["--function-key"]));
    }

    [Fact]
    public void The_printout_holds_neither_the_key_nor_the_signature_secret()
    {
        var text = Parse(["--function-key", "flag-key-1234", "--calls", "7"]).ToString();

        Assert.Contains("Calls = 7", text, StringComparison.Ordinal);
        Assert.Contains("FunctionKey = ***", text, StringComparison.Ordinal);
        Assert.DoesNotContain("flag-key-1234", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sig-secret", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Usage_documents_the_flag_and_the_variable()
    {
        Assert.Contains("--function-key", SimulatorArguments.Usage, StringComparison.Ordinal);
        Assert.Contains("CALLTRACKING_FUNCTION_KEY", SimulatorArguments.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void Hold_share_defaults_to_none_and_is_a_fraction()
    {
        Assert.Equal(0, Parse([]).HoldShare);
        var arguments = Parse(["--hold-share", "0.1", "--voice-api-port", "8099"]);
        Assert.Equal(0.1, arguments.HoldShare);
        Assert.Equal(8099, arguments.VoiceApiPort);
        Assert.Contains("--hold-share", Assert.Throws<ArgumentException>(() => Parse(["--hold-share", "1.5"])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recording_base_url_is_unset_unless_given_so_a_hold_share_run_serves_recordings_itself()
    {
        Assert.Null(Parse([]).RecordingBaseUrl);
        Assert.Equal("https://example.com/files/", Parse(["--recording-base-url", "https://example.com/files/"]).RecordingBaseUrl);
        Assert.Contains("--recording-base-url", SimulatorArguments.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void Callback_options_enable_the_voice_api_and_are_checked()
    {
        Assert.Null(Parse([]).VoiceApiPort);
        var arguments = Parse(["--voice-api-port", "0", "--callback-answer", "0.25", "--callback-wait", "150"]);

        Assert.Equal(0, arguments.VoiceApiPort);
        Assert.Equal(0.25, arguments.CallbackAnswer);
        Assert.Equal(150, arguments.CallbackWaitSeconds);
        Assert.Equal("--callback-answer must be a number from 0 to 1.", Assert.Throws<ArgumentException>(() => Parse(["--callback-answer", "2"])).Message);
        Assert.Throws<ArgumentException>(() => Parse(["--voice-api-port", "70000"]));
        Assert.Contains("--voice-api-port", SimulatorArguments.Usage, StringComparison.Ordinal);
    }
}
