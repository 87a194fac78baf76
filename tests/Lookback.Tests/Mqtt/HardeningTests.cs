using System.Text;
using Lookback.Mqtt;
using Lookback.Media.Rendering;
using Lookback.Tests.Sources;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lookback.Tests.Mqtt;

/// <summary>Bad input never throws, log lines about it are limited, the render lanes are fair, the journal survives a kill.</summary>
public sealed class HardeningTests
{
    [Fact]
    public void A_lone_surrogate_in_request_id_is_an_error_naming_the_field()
    {
        var c = CommandParser.Parse("front", "gif", """{"request_id":"\ud800","seconds":2}"""u8);
        Assert.False(c.Ok);
        Assert.StartsWith("request_id:", c.Error);
        Assert.Null(c.RequestId);
        // a valid pair is fine
        var ok = CommandParser.Parse("front", "gif", """{"request_id":"\ud83d\ude00","seconds":2}"""u8);
        Assert.True(ok.Ok, ok.Error);
        Assert.Equal("\U0001F600", ok.RequestId);
    }

    public static TheoryData<string, byte[]> Junk() => new()
    {
        { "invalid utf-8", [0xff, 0xfe, 0x80, (byte)'{'] },
        { "deep nesting", Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000)) },
        { "deep object", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100)) },
        { "huge", new byte[CommandParser.MaxPayloadBytes + 1] },
        { "nul bytes", new byte[100] },
        { "wrong types", """{"request_id":{"x":1},"seconds":"two"}"""u8.ToArray() },
        { "array", "[1,2,3]"u8.ToArray() },
        { "huge number", """{"seconds":1e400}"""u8.ToArray() },
        { "surrogate in a key", """{"\udc00":1,"seconds":2}"""u8.ToArray() },
        { "surrogate in another string", """{"seconds":"\ud800"}"""u8.ToArray() },
        { "truncated", """{"request_id":"abc"""u8.ToArray() },
        { "bom", [0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}'] },
    };

    [Theory]
    [MemberData(nameof(Junk))]
    public void Junk_payloads_never_throw_and_a_failure_names_what_is_wrong(string what, byte[] payload)
    {
        foreach (var action in Topics.CommandActions)
        {
            var c = CommandParser.Parse("front", action, payload);
            if (!c.Ok) Assert.Matches(@"^[a-z_]+: ", c.Error!);
            Assert.True(c.Ok || c.Render is null, what);
        }
    }

    [Fact]
    public void Log_throttle_lets_n_lines_per_window_through_then_reports_how_many_were_suppressed()
    {
        var time = new ManualTimeProvider();
        var t = new LogThrottle(3, TimeSpan.FromMinutes(1), time);
        var allowed = Enumerable.Range(0, 10).Count(_ => t.TryEnter(out long _));
        Assert.Equal(3, allowed);
        Assert.Equal(0, t.TakeSuppressed()); // the window is not over yet
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.True(t.TryEnter(out var suppressed));
        Assert.Equal(7, suppressed);
        for (var i = 0; i < 5; i++) t.TryEnter(out _);
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(3, t.TakeSuppressed());
        Assert.Equal(0, t.TakeSuppressed());
    }

    [Fact]
    public void Long_topics_are_cut_in_logs()
    {
        var topic = "p/" + new string('x', 5000) + "/gif/set";
        var s = LogText.Topic(topic);
        Assert.True(s.Length < 200, s);
        Assert.EndsWith($"({topic.Length} chars)", s);
        Assert.Equal("p/front/gif/set", LogText.Topic("p/front/gif/set"));
    }

    [Fact]
    public async Task Fair_queue_serves_lanes_round_robin_and_bounds_each_lane()
    {
        var q = new FairQueue<string, string>(laneCapacity: 5);
        for (var i = 0; i < 5; i++) Assert.True(q.TryWrite("flood", $"f{i}"));
        Assert.False(q.TryWrite("flood", "f5"));          // the flooded lane is full …
        Assert.True(q.TryWrite("other", "o0"));           // … another lane is not
        Assert.True(q.TryWrite("flood", "over", overCapacity: true));
        var order = new List<string>();
        for (var i = 0; i < 4; i++) order.Add((await q.ReadAsync()).Item);
        Assert.Equal(["f0", "o0", "f1", "f2"], order);
        Assert.Equal(1, q.Lanes);                         // the empty lane is gone
        q.Complete();
        Assert.False(q.TryWrite("other", "late"));
        var rest = new List<string>();
        while (await q.ReadAsync() is (true, var item)) rest.Add(item);
        Assert.Equal(["f3", "f4", "over"], rest);
        Assert.Equal(0, q.Count);
    }

    [Fact]
    public async Task Fair_queue_reader_waits_for_a_write()
    {
        var q = new FairQueue<int, int>(2);
        var read = q.ReadAsync().AsTask();
        Assert.False(read.IsCompleted);
        q.TryWrite(1, 42);
        Assert.Equal((true, 42), await read.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Journal_returns_the_commands_a_killed_run_never_answered()
    {
        var dir = Directory.CreateTempSubdirectory("lookback-journal-").FullName;
        var path = Path.Combine(dir, ".state", "commands.journal");
        try
        {
            var first = new CommandJournal(path, NullLogger.Instance);
            Assert.Empty(first.Recover());
            var a = first.Accept(new JournalEntry("front", "gif", "r-1", "reply/here", [1, 2, 3]));
            first.Accept(new JournalEntry("garden", "moment", "r-2"));
            first.Done(a);
            first.Dispose(); // as a kill leaves it: no "done" for r-2
            File.AppendAllText(path, "{\"a\":9,\"e\":{\"cam"); // a torn last line

            var second = new CommandJournal(path, NullLogger.Instance);
            var open = second.Recover();
            var e = Assert.Single(open);
            Assert.Equal(("garden", "moment", "r-2"), (e.Camera, e.Kind, e.RequestId));
            Assert.Equal(0, new FileInfo(path).Length); // recovered once, answered once
            var id = second.Accept(new JournalEntry("front", "snapshot", "r-3", "reply/x", [9]));
            second.Dispose();
            var third = new CommandJournal(path, NullLogger.Instance);
            var again = Assert.Single(third.Recover());
            Assert.Equal(("r-3", "reply/x"), (again.RequestId, again.ResponseTopic));
            Assert.Equal([9], again.CorrelationData);
            Assert.True(id > 0);
            var done = third.Accept(new JournalEntry("front", "snapshot", "r-4"));
            third.Done(done);
            Assert.Equal(0, new FileInfo(path).Length); // nothing pending: the file is emptied
            third.Dispose();
        }
        finally { Directory.Delete(dir, true); }
    }
}
