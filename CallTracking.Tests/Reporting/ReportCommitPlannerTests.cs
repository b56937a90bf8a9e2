using Azure;
using Azure.Data.Tables;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Reporting;
using Xunit;

namespace CallTracking.Tests.Reporting;

/// <summary>
/// The report writer's planner, without storage: each plan is committed to an in-memory partition that enforces
/// the table's rules (an Add needs no row, a conditional write needs the row's current ETag), so the tests check
/// what a partition holds after the transaction, not only what the plan says.
/// </summary>
public class ReportCommitPlannerTests
{
    private const string Partition = "spring-tv";
    private static readonly DateTimeOffset TenOFive = new(2026, 3, 10, 10, 5, 0, TimeSpan.Zero);

    private readonly InMemoryPartition _table = new();

    [Fact]
    public void A_new_call_adds_its_marker_its_projection_and_its_hour_day_and_month_rows()
    {
        var call = Entry("CON-1", TenOFive, CallOutcome.Answered, talkSeconds: 60);

        var plan = _table.Plan([call]);

        Assert.Equal(1, plan.Taken);
        Assert.Equal(new[] { true }, plan.Changed);
        Assert.Equal(
            new[]
            {
                (TableTransactionActionType.Add, ReportKeys.IndexKey("CON-1")),
                (TableTransactionActionType.UpsertReplace, call.CallKey),
                (TableTransactionActionType.Add, "h|2026031010"),
                (TableTransactionActionType.Add, "d|20260310"),
                (TableTransactionActionType.Add, "m|202603"),
            },
            plan.Actions.Select(a => (a.ActionType, a.Entity.RowKey)));
        Assert.All(plan.Aggregates.Values, a => Assert.Equal((1, 1, 60), (a.Calls, a.Answered, a.TalkSeconds)));

        _table.Commit(plan);
        Assert.Equal(call, CallEntry.FromIndexRow(_table.Rows[ReportKeys.IndexKey("CON-1")]));
        Assert.Equal(1, _table.Aggregate("h|2026031010").CallsByQuarter[0]);
    }

    [Fact]
    public void The_same_call_applied_again_plans_nothing()
    {
        var call = Entry("CON-1", TenOFive, CallOutcome.Answered, talkSeconds: 60);
        _table.Commit(_table.Plan([call]));
        var before = _table.Snapshot();

        var plan = _table.Plan([call with { }]);

        Assert.Equal(1, plan.Taken);
        Assert.Equal(new[] { false }, plan.Changed);
        Assert.Empty(plan.Actions);
        _table.Commit(plan);
        Assert.Equal(before, _table.Snapshot());
    }

    [Fact]
    public void A_call_processed_again_with_other_data_moves_its_contribution()
    {
        var answered = Entry("CON-1", TenOFive, CallOutcome.Answered, talkSeconds: 60);
        var neighbour = Entry("CON-2", TenOFive.AddMinutes(20), CallOutcome.Answered, talkSeconds: 30);
        _table.Commit(_table.Plan([answered, neighbour]));

        // A late event: the call was busy, and started an hour later.
        var busy = answered with { Outcome = CallOutcome.Busy, TalkSeconds = 0, Start = TenOFive.AddHours(1) };
        var plan = _table.Plan([busy]);

        Assert.Equal(new[] { true }, plan.Changed);
        Assert.Contains((TableTransactionActionType.UpdateReplace, ReportKeys.IndexKey("CON-1")), plan.Actions.Select(a => (a.ActionType, a.Entity.RowKey)));
        Assert.Contains((TableTransactionActionType.Delete, answered.CallKey), plan.Actions.Select(a => (a.ActionType, a.Entity.RowKey)));
        _table.Commit(plan);

        Assert.Equal((1, 1, 0, 30), Counts(_table.Aggregate("h|2026031010")));
        Assert.Equal((1, 0, 1, 0), Counts(_table.Aggregate("h|2026031011")));
        Assert.Equal((2, 1, 1, 30), Counts(_table.Aggregate("d|20260310")));
        Assert.Equal((2, 1, 1, 30), Counts(_table.Aggregate("m|202603")));
        Assert.False(_table.Rows.ContainsKey(answered.CallKey));
        Assert.True(_table.Rows.ContainsKey(busy.CallKey));
        Assert.Equal(busy, CallEntry.FromIndexRow(_table.Rows[ReportKeys.IndexKey("CON-1")]));
    }

    [Fact]
    public void A_row_left_empty_by_a_moved_call_is_deleted_under_its_etag()
    {
        var call = Entry("CON-1", TenOFive, CallOutcome.Answered, talkSeconds: 60);
        _table.Commit(_table.Plan([call]));
        var etag = _table.Rows["h|2026031010"].ETag;

        var plan = _table.Plan([call with { Start = TenOFive.AddHours(2) }]);

        var delete = Assert.Single(plan.Actions, a => a.Entity.RowKey == "h|2026031010");
        Assert.Equal((TableTransactionActionType.Delete, etag), (delete.ActionType, delete.ETag));
        _table.Commit(plan);
        Assert.False(_table.Rows.ContainsKey("h|2026031010"));
        Assert.Equal(1, _table.Aggregate("h|2026031012").Calls);
    }

    [Fact]
    public void Two_versions_of_one_call_in_one_batch_leave_the_later_one_counted_once()
    {
        var ringing = Entry("CON-1", TenOFive, CallOutcome.Unanswered, talkSeconds: 0);
        var answered = ringing with { Outcome = CallOutcome.Answered, TalkSeconds = 45 };

        var plan = _table.Plan([ringing, answered]);

        Assert.Equal(new[] { true, true }, plan.Changed);
        Assert.Single(plan.Actions, a => a.Entity.RowKey == ReportKeys.IndexKey("CON-1"));
        _table.Commit(plan);
        Assert.Equal((1, 1, 0, 45), Counts(_table.Aggregate("h|2026031010")));
        Assert.Equal(answered, CallEntry.FromIndexRow(_table.Rows[ReportKeys.IndexKey("CON-1")]));
    }

    [Fact]
    public void A_batch_over_100_actions_is_cut_into_transactions_that_fit()
    {
        var calls = Enumerable.Range(0, 40).Select(i => Entry($"CON-{i:D2}", TenOFive.AddSeconds(i), CallOutcome.Answered, talkSeconds: 10)).ToList();

        var first = _table.Plan(calls);

        // Three rows per call (marker, projection, room for an old projection's delete) plus the three aggregates.
        Assert.Equal(32, first.Taken);
        Assert.InRange(first.Actions.Count, 1, ReportCommitPlanner.MaxActions);
        _table.Commit(first);

        var second = _table.Plan(calls[first.Taken..]);
        Assert.Equal(8, second.Taken);
        _table.Commit(second);

        Assert.Equal(40, _table.Aggregate("h|2026031010").Calls);
        Assert.Equal(40, _table.Rows.Keys.Count(k => k.StartsWith(ReportKeys.IndexPrefix, StringComparison.Ordinal)));
    }

    [Fact]
    public void A_batch_touching_more_aggregate_rows_than_fit_is_cut_too()
    {
        // Each call in its own month: three new aggregate rows apiece, at most 24 rows per transaction.
        var calls = Enumerable.Range(0, 10).Select(i => Entry($"CON-{i}", TenOFive.AddMonths(i), CallOutcome.Busy, talkSeconds: 0)).ToList();

        var plan = _table.Plan(calls);

        Assert.Equal(ReportCommitPlanner.MaxAggregateRows / 3, plan.Taken);
        Assert.Equal(ReportCommitPlanner.MaxAggregateRows, plan.Aggregates.Count);
    }

    [Fact]
    public void Calls_in_different_hours_days_and_months_each_update_their_own_rows()
    {
        var lastOfJanuary = new DateTimeOffset(2026, 1, 31, 23, 50, 0, TimeSpan.Zero);
        var calls = new[]
        {
            Entry("CON-1", lastOfJanuary, CallOutcome.Answered, talkSeconds: 20),
            Entry("CON-2", lastOfJanuary.AddMinutes(15), CallOutcome.Answered, talkSeconds: 20), // 00:05 on 1 February
            Entry("CON-3", lastOfJanuary.AddMinutes(50), CallOutcome.Busy, talkSeconds: 0), // 00:40
            Entry("CON-4", lastOfJanuary.AddHours(7).AddMinutes(10), CallOutcome.Answered, talkSeconds: 20), // 07:00
        };

        _table.Commit(_table.Plan(calls));

        Assert.Equal(
            new Dictionary<string, long>
            {
                ["h|2026013123"] = 1,
                ["h|2026020100"] = 2,
                ["h|2026020107"] = 1,
                ["d|20260131"] = 1,
                ["d|20260201"] = 3,
                ["m|202601"] = 1,
                ["m|202602"] = 3,
            },
            _table.AggregateKeys.ToDictionary(k => k, k => _table.Aggregate(k).Calls));
        // Quarter hours: 00:05 and 00:40 on the day row; 07:00 on the 1st in the month row.
        Assert.Equal((1, 1), (_table.Aggregate("d|20260201").CallsByQuarter[0], _table.Aggregate("d|20260201").CallsByQuarter[2]));
        Assert.Equal(1, _table.Aggregate("m|202602").CallsByQuarter[4 * 7]);
        Assert.Equal(1, _table.Aggregate("m|202601").CallsByQuarter[(96 * 30) + (4 * 23) + 3]);
    }

    [Fact]
    public void Planning_without_a_row_it_needs_is_refused()
    {
        var call = Entry("CON-1", TenOFive, CallOutcome.Answered, talkSeconds: 60);
        var markers = new Dictionary<string, TableEntity?> { ["CON-1"] = null };

        Assert.Throws<ArgumentException>(() => ReportCommitPlanner.Plan(Partition, [call], new Dictionary<string, TableEntity?>(), new Dictionary<string, TableEntity?>()));
        Assert.Throws<ArgumentException>(() => ReportCommitPlanner.Plan(Partition, [call], markers, new Dictionary<string, TableEntity?>()));
    }

    private static (long Calls, long Answered, long Busy, long TalkSeconds) Counts(HourAggregate aggregate) =>
        (aggregate.Calls, aggregate.Answered, aggregate.Busy, aggregate.TalkSeconds);

    private static CallEntry Entry(string callId, DateTimeOffset start, CallOutcome outcome, int talkSeconds) => new()
    {
        CallId = callId,
        CampaignId = Partition,
        Start = start,
        End = start.AddSeconds(talkSeconds + 15),
        CallerNumber = "+14155550123",
        Outcome = outcome,
        DurationSeconds = talkSeconds + 15,
        TalkSeconds = talkSeconds,
        CarrierCostMicros = 12_000,
    };

    /// <summary>One campaign partition in memory, with Table Storage's conditions on each kind of action.</summary>
    private sealed class InMemoryPartition
    {
        private int _version;

        public Dictionary<string, TableEntity> Rows { get; } = new(StringComparer.Ordinal);

        public IEnumerable<string> AggregateKeys => Rows.Keys.Where(k => k[0] is 'h' or 'd' or 'm').Order(StringComparer.Ordinal);

        public HourAggregate Aggregate(string key) => HourAggregate.FromEntity(Rows[key]);

        /// <summary>Reads what the committer reads (markers, then the aggregate rows the batch touches) and plans.</summary>
        public ReportCommitPlan Plan(IReadOnlyList<CallEntry> pending)
        {
            var markers = pending.Select(e => e.CallId).Distinct(StringComparer.Ordinal)
                .ToDictionary(id => id, id => Read(ReportKeys.IndexKey(id)), StringComparer.Ordinal);
            var rows = ReportCommitPlanner.Take(pending, markers).AggregateKeys.ToDictionary(k => k, Read, StringComparer.Ordinal);
            return ReportCommitPlanner.Plan(Partition, pending, markers, rows);
        }

        /// <summary>Applies the transaction, all or nothing: a broken condition fails it as storage would.</summary>
        public void Commit(ReportCommitPlan plan)
        {
            Assert.InRange(plan.Actions.Count, 0, ReportCommitPlanner.MaxActions);
            Assert.Equal(plan.Actions.Count, plan.Actions.Select(a => a.Entity.RowKey).Distinct().Count());
            foreach (var action in plan.Actions)
            {
                var key = action.Entity.RowKey;
                Assert.Equal(Partition, action.Entity.PartitionKey);
                var exists = Rows.TryGetValue(key, out var current);
                switch (action.ActionType)
                {
                    case TableTransactionActionType.Add:
                        Assert.False(exists, $"Add {key}: the row exists (409)");
                        break;
                    case TableTransactionActionType.UpdateReplace:
                    case TableTransactionActionType.Delete:
                        Assert.True(exists, $"{action.ActionType} {key}: no such row (404)");
                        Assert.True(action.ETag == ETag.All || action.ETag == current!.ETag, $"{action.ActionType} {key}: ETag mismatch (412)");
                        break;
                }
            }

            foreach (var action in plan.Actions)
            {
                var key = action.Entity.RowKey;
                if (action.ActionType == TableTransactionActionType.Delete)
                {
                    Rows.Remove(key);
                    continue;
                }

                var stored = new TableEntity((TableEntity)action.Entity) { ETag = new ETag($"W/\"{++_version}\"") };
                Rows[key] = stored;
            }
        }

        public Dictionary<string, string> Snapshot() =>
            Rows.ToDictionary(r => r.Key, r => r.Value.ETag.ToString(), StringComparer.Ordinal);

        private TableEntity? Read(string key) => Rows.TryGetValue(key, out var row) ? row : null;
    }
}
