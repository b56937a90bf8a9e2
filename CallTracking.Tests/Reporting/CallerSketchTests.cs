using CallTracking.Functions.Reporting;
using Xunit;

namespace CallTracking.Tests.Reporting;

public class CallerSketchTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(300)]
    [InlineData(5_000)]
    [InlineData(200_000)]
    public void Estimates_distinct_callers_within_the_documented_error_after_storing_and_merging(int distinct)
    {
        // Split the callers over 24 "hour" sketches with overlap, store each, and merge them back as the stats do.
        var hours = Enumerable.Range(0, 24).Select(_ => new CallerSketch()).ToList();
        for (var i = 0; i < distinct; i++)
        {
            var number = "+1202" + i.ToString("D7");
            hours[i % 24].Add(number);
            hours[(i * 7) % 24].Add(number);
        }

        var merged = new CallerSketch();
        foreach (var hour in hours)
        {
            merged.MergeBytes(hour.ToBytes());
        }

        var tolerance = Math.Max(1, 3 * CallerSketch.StandardError * distinct); // three standard errors
        Assert.InRange(merged.Estimate(), distinct - tolerance, distinct + tolerance);
    }

    [Fact]
    public void Small_sketches_are_stored_sparse_and_large_ones_dense()
    {
        var sketch = new CallerSketch();
        sketch.Add("+12025550100");
        Assert.Equal(4, sketch.ToBytes().Length);
        for (var i = 0; i < 50_000; i++)
        {
            sketch.Add("+1303" + i.ToString("D7"));
        }

        Assert.Equal(CallerSketch.RegisterCount + 1, sketch.ToBytes().Length);
        Assert.Equal(sketch.Estimate(), CallerSketch.FromBytes(sketch.ToBytes()).Estimate());
    }
}
