using CallTracking.Simulator;

SimulatorArguments arguments;
try
{
    arguments = SimulatorArguments.Parse(args);
}
catch (ArgumentException ex)
{
    if (ex.Message.Length > 0)
    {
        Console.Error.WriteLine(ex.Message);
        Console.Error.WriteLine();
    }

    Console.Error.WriteLine(SimulatorArguments.Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

using var http = SimulatorRun.CreateHttpClient(arguments.BaseUrl, arguments.Concurrency);
try
{
    var summary = await SimulatorRun.RunAsync(arguments, http, cancel.Token);
    if (!arguments.Quiet)
    {
        Console.WriteLine(summary.ToText());
    }

    if (arguments.SummaryFile is { } file)
    {
        await File.WriteAllTextAsync(file, summary.ToJson(), cancel.Token);
        Console.WriteLine($"Summary written to {file}");
    }

    return summary.FailedRequests == 0 && summary.Hold?.Clean != false ? 0 : 1;
}
catch (Exception ex) when (ex is HttpRequestException or FormatException or IOException or InvalidOperationException)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}
