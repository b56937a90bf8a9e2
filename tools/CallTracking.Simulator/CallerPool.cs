namespace CallTracking.Simulator;

/// <summary>
/// Caller numbers (Vonage form: digits without '+') from ranges reserved for fiction (Ofcom 07700 900xxx and
/// 01632 960xxx, North American 555-01xx, Australian 0491 570xxx), picked with a skew so some callers call again.
/// </summary>
public sealed class CallerPool
{
    private static readonly string[] NorthAmericanAreas = ["212", "312", "415", "617", "702", "206", "303", "512", "646", "718"];

    private readonly string[] _numbers;

    private CallerPool(string[] numbers) => _numbers = numbers;

    public IReadOnlyList<string> Numbers => _numbers;

    public static CallerPool Create(Random random, int size)
    {
        var all = new List<string>();
        for (var i = 0; i < 1000; i++)
        {
            all.Add($"447700900{i:000}");
            all.Add($"441632960{i:000}");
        }

        foreach (var area in NorthAmericanAreas)
        {
            for (var i = 0; i < 100; i++)
            {
                all.Add($"1{area}55501{i:00}");
            }
        }

        for (var i = 0; i < 1000; i++)
        {
            all.Add($"61491570{i:000}");
        }

        var span = all.ToArray();
        random.Shuffle(span);
        return new CallerPool(span[..Math.Min(size, span.Length)]);
    }

    /// <summary>Skewed towards the first numbers, so repeat callers are common but not universal.</summary>
    public string Pick(Random random)
    {
        var r = random.NextDouble();
        return _numbers[(int)(r * r * _numbers.Length)];
    }
}
