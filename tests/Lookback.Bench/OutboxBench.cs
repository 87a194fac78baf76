using System.Diagnostics;
using System.Text;
using Lookback.Mqtt;
using Microsoft.Data.Sqlite;
using MQTTnet;

namespace Lookback.Bench;

/// <summary>
/// Issue 9's outbox decision: the MQTT outbox's own segment/ack files (<see cref="Outbox"/>) against an outbox table in
/// SQLite (WAL, as <c>EventStore</c> opens <c>events.db</c>). Throughput of enqueue and of enqueue + ack (delivery to a
/// publisher that acknowledges at once), each at the durability that survives a process crash (segment: written to
/// the OS; SQLite: <c>synchronous=NORMAL</c>) and the one that survives power loss (segment: <c>FsyncEachAppend</c>;
/// SQLite: <c>synchronous=FULL</c>). Then crash safety: a child process enqueues and acks as fast as it can and is
/// killed (SIGKILL) at a random moment; the parent reopens the store and checks that every message whose enqueue
/// had returned is there or acked, in order, with nothing acked lost and nothing corrupt.
/// Options: <c>--messages N</c> (default 5000), <c>--kills N</c> (default 10 per store).
/// </summary>
[Bench("outbox")]
public static class OutboxBench
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes(
        """{"request_id":"r-000042","node":"lookback","camera":"front","kind":"gif","status":"ok","url":"http://lookback.local:8080/media/front/2026-12-03/front_12-00-00.gif","media":"media-source://media_source/local/lookback/front/2026-12-03/front_12-00-00.gif","bytes":812345,"frames":40,"width":480,"height":270,"elapsed_ms":812}""");

    public static async Task RunAsync(string[] args)
    {
        if (Arg(args, "--child") is { } child) { await ChildAsync(child, Arg(args, "--dir")!); return; }
        var n = int.Parse(Arg(args, "--messages") ?? "5000");
        var kills = int.Parse(Arg(args, "--kills") ?? "10");
        Console.WriteLine($"{n} messages of {Payload.Length} B (a render result); fresh directory per run; median of 3 after a warm-up");
        Console.WriteLine($"{"store",-24} {"enqueue msg/s",14} {"enq+ack msg/s",14} {"KB for n pending",17}");
        var rows = new (string Name, Action<string, int> Enqueue, Func<string, int, Task> Both)[]
        {
            ("segment files (OS)", (d, c) => SegmentEnqueue(d, c, false), (d, c) => SegmentBothAsync(d, c, false)),
            ("segment files (fsync)", (d, c) => SegmentEnqueue(d, c, true), (d, c) => SegmentBothAsync(d, c, true)),
            ("sqlite table (NORMAL)", (d, c) => SqliteEnqueue(d, c, "NORMAL"), (d, c) => SqliteBoth(d, c, "NORMAL")),
            ("sqlite table (FULL)", (d, c) => SqliteEnqueue(d, c, "FULL"), (d, c) => SqliteBoth(d, c, "FULL")),
        };
        foreach (var (name, enqueue, both) in rows)
        {
            Measure(d => enqueue(d, 200)); await MeasureAsync(d => both(d, 200)); // warm-up (JIT, SQLite's first open)
            var e = Enumerable.Range(0, 3).Select(_ => Measure(d => enqueue(d, n))).OrderBy(r => r.Seconds).ToList();
            var t = new List<(double Seconds, double DiskKb)>();
            for (var i = 0; i < 3; i++) t.Add(await MeasureAsync(d => both(d, n)));
            t = [.. t.OrderBy(r => r.Seconds)];
            Console.WriteLine($"{name,-24} {n / e[1].Seconds,14:0} {n / t[1].Seconds,14:0} {e[1].DiskKb,17:0}");
        }

        Console.WriteLine();
        Console.WriteLine($"crash safety: {kills} SIGKILLs per store at a random moment of enqueue + ack");
        Console.WriteLine($"{"store",-28} {"kills",6} {"lost",6} {"corrupt",8} {"out of order",13} {"re-sent",8} {"reopen ms",10}");
        foreach (var kind in new[] { "segment", "sqlite" }) await CrashAsync(kind, kills);
    }

    private static void SegmentEnqueue(string dir, int n, bool fsync)
    {
        using var o = new Outbox(dir, new OutboxOptions { FsyncEachAppend = fsync });
        for (var i = 0; i < n; i++) o.Enqueue("lookback/front/result", Payload);
    }

    /// <summary>Enqueue while the real delivery loop sends to a publisher that acks at once; done when drained.</summary>
    private static async Task SegmentBothAsync(string dir, int n, bool fsync)
    {
        using var o = new Outbox(dir, new OutboxOptions { FsyncEachAppend = fsync });
        using var cts = new CancellationTokenSource();
        var run = o.RunAsync(new AckingPublisher(), cts.Token);
        for (var i = 0; i < n; i++) o.Enqueue("lookback/front/result", Payload);
        if (!await o.WaitEmptyAsync(TimeSpan.FromMinutes(5))) throw new TimeoutException("segment outbox did not drain");
        cts.Cancel();
        await run;
    }

    private static void SqliteEnqueue(string dir, int n, string sync)
    {
        using var o = new SqliteOutbox(dir, sync);
        for (var i = 0; i < n; i++) o.Enqueue("lookback/front/result", Payload);
    }

    /// <summary>The same shape as the segment outbox's delivery, one in flight, removed after its ack (here in one thread:
    /// the connection is not shared between threads).</summary>
    private static Task SqliteBoth(string dir, int n, string sync)
    {
        using var o = new SqliteOutbox(dir, sync);
        for (var i = 0; i < n; i++) { o.Enqueue("lookback/front/result", Payload); if (o.Head() is { } h) o.Ack(h.Seq); }
        return Task.CompletedTask;
    }

    private static async Task CrashAsync(string kind, int kills)
    {
        var rnd = new Random(9);
        int lost = 0, corrupt = 0, disorder = 0, resent = 0; double reopenMs = 0;
        for (var k = 0; k < kills; k++)
        {
            var dir = Directory.CreateTempSubdirectory("bench-outbox-crash-").FullName;
            try
            {
                var psi = SelfStart(["outbox", "--child", kind, "--dir", dir]);
                using var p = Process.Start(psi)!;
                long lastEnqueued = -1, lastAcked = -1;
                var reader = Task.Run(async () =>
                {
                    while (await p.StandardOutput.ReadLineAsync() is { } line)
                    {
                        if (line.StartsWith('e')) Volatile.Write(ref lastEnqueued, long.Parse(line.AsSpan(1)));
                        else if (line.StartsWith('a')) Volatile.Write(ref lastAcked, long.Parse(line.AsSpan(1)));
                    }
                });
                // let it run until it has enqueued a random few thousand messages, then kill it mid-stream
                var target = rnd.Next(500, 4000);
                var until = DateTime.UtcNow.AddSeconds(60);
                while (Volatile.Read(ref lastEnqueued) < target && DateTime.UtcNow < until && !p.HasExited) await Task.Delay(5);
                p.Kill(); // SIGKILL
                await p.WaitForExitAsync();
                await reader;
                var sw = Stopwatch.StartNew();
                var (pending, acked, bad) = Reopen(kind, dir);
                reopenMs += sw.Elapsed.TotalMilliseconds;
                corrupt += bad;
                // every message the child saw enqueued is either acked (≤ acked) or pending; an acked one still pending is re-sent
                var all = new HashSet<long>(pending);
                for (var s = 0L; s <= lastEnqueued; s++) if (s > acked && !all.Contains(s)) lost++;
                resent += pending.Count(s => s <= lastAcked);
                for (var i = 1; i < pending.Count; i++) if (pending[i] <= pending[i - 1]) disorder++;
            }
            finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
        }
        Console.WriteLine($"{(kind == "segment" ? "segment files (OS)" : "sqlite table (NORMAL)"),-28} {kills,6} {lost,6} {corrupt,8} {disorder,13} {resent,8} {reopenMs / kills,10:0.0}");
    }

    /// <summary>The messages still pending after a reopen, the highest acknowledged sequence, and corrupt records seen.</summary>
    private static (List<long> Pending, long Acked, int Corrupt) Reopen(string kind, string dir)
    {
        if (kind == "segment")
        {
            using var o = new Outbox(dir);
            var snap = o.Snapshot();
            var bad = snap.Count(m => !m.Payload.AsSpan().SequenceEqual(Payload));
            return ([.. snap.Select(m => m.Sequence)], o.LastAcked, bad);
        }
        using var s = new SqliteOutbox(dir, "NORMAL");
        var rows = s.All();
        return ([.. rows.Select(r => r.Seq)], s.LastAcked(), rows.Count(r => !r.Payload.AsSpan().SequenceEqual(Payload)) + s.IntegrityErrors());
    }

    /// <summary>The killed child: enqueues and prints "e&lt;seq&gt;" once the enqueue returned; one ack is let through per
    /// two enqueues (so messages wait), and the highest acked sequence is printed "a&lt;seq&gt;" after it was written.</summary>
    private static async Task ChildAsync(string kind, string dir)
    {
        var stdout = Console.Out;
        if (kind == "segment")
        {
            using var o = new Outbox(dir);
            var pub = new AckingPublisher { Gate = new SemaphoreSlim(0) };
            _ = Task.Run(() => o.RunAsync(pub, CancellationToken.None));
            for (var i = 0; ; i++)
            {
                var seq = o.Enqueue("lookback/front/result", Payload);
                stdout.WriteLine($"e{seq}");
                if (i % 2 == 1) pub.Gate.Release();
                stdout.WriteLine($"a{o.LastAcked}");
                stdout.Flush();
                await Task.Yield();
            }
        }
        using var q = new SqliteOutbox(dir, "NORMAL");
        for (var i = 0; ; i++)
        {
            var seq = q.Enqueue("lookback/front/result", Payload);
            stdout.WriteLine($"e{seq}");
            if (i % 2 == 1 && q.Head() is { } h) { q.Ack(h.Seq); stdout.WriteLine($"a{h.Seq}"); }
            stdout.Flush();
        }
    }

    private static ProcessStartInfo SelfStart(string[] args)
    {
        var exe = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") psi.ArgumentList.Add(typeof(OutboxBench).Assembly.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    private static (double Seconds, double DiskKb) Measure(Action<string> body) =>
        MeasureAsync(dir => { body(dir); return Task.CompletedTask; }).GetAwaiter().GetResult();

    private static async Task<(double Seconds, double DiskKb)> MeasureAsync(Func<string, Task> body)
    {
        var dir = Directory.CreateTempSubdirectory("bench-outbox-").FullName;
        try
        {
            var sw = Stopwatch.StartNew();
            await body(dir);
            var s = sw.Elapsed.TotalSeconds;
            var kb = new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) / 1024.0;
            return (s, kb);
        }
        finally { Directory.Delete(dir, true); }
    }

    private static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>Acknowledges every publish at once (a broker on loopback with no latency), or one per release of <see cref="Gate"/>.</summary>
    private sealed class AckingPublisher : IMqttPublisher
    {
        public SemaphoreSlim? Gate { get; init; }
        public bool IsConnected => true;
        public Task WaitConnectedAsync(CancellationToken ct) => Task.CompletedTask;
        public async Task<PublishOutcome> PublishAsync(MqttApplicationMessage message, CancellationToken ct)
        {
            if (Gate is not null) await Gate.WaitAsync(ct).ConfigureAwait(false);
            return PublishOutcome.Acked;
        }
    }

    /// <summary>The alternative: an outbox table in SQLite (WAL), one autocommit statement per enqueue and per ack.</summary>
    private sealed class SqliteOutbox : IDisposable
    {
        private readonly SqliteConnection _c;
        private readonly SqliteCommand _insert, _delete, _head;

        public SqliteOutbox(string dir, string synchronous)
        {
            _c = new SqliteConnection($"Data Source={Path.Combine(dir, "events.db")};Pooling=False");
            _c.Open();
            Exec($"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous};");
            Exec("CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload BLOB NOT NULL, qos INTEGER NOT NULL, retain INTEGER NOT NULL, response_topic TEXT, correlation BLOB)");
            _insert = Cmd("INSERT INTO outbox (topic, payload, qos, retain) VALUES ($t, $p, 1, 0) RETURNING seq");
            _insert.Parameters.Add("$t", SqliteType.Text); _insert.Parameters.Add("$p", SqliteType.Blob);
            _delete = Cmd("DELETE FROM outbox WHERE seq = $s");
            _delete.Parameters.Add("$s", SqliteType.Integer);
            _head = Cmd("SELECT seq FROM outbox ORDER BY seq LIMIT 1");
        }

        public long Enqueue(string topic, byte[] payload)
        {
            _insert.Parameters["$t"].Value = topic; _insert.Parameters["$p"].Value = payload;
            return (long)_insert.ExecuteScalar()! - 1; // 0-based like the segment outbox
        }

        public (long Seq, int _)? Head() => _head.ExecuteScalar() is long s ? (s - 1, 0) : null;

        public void Ack(long seq) { _delete.Parameters["$s"].Value = seq + 1; _delete.ExecuteNonQuery(); }

        public List<(long Seq, byte[] Payload)> All()
        {
            using var cmd = Cmd("SELECT seq, payload FROM outbox ORDER BY seq");
            using var r = cmd.ExecuteReader();
            var list = new List<(long, byte[])>();
            while (r.Read()) list.Add((r.GetInt64(0) - 1, (byte[])r[1]));
            return list;
        }

        /// <summary>The highest sequence handed out minus the pending ones: with one in flight, every sequence below the
        /// first pending one was acked.</summary>
        public long LastAcked()
        {
            using var cmd = Cmd("SELECT (SELECT MIN(seq) FROM outbox), (SELECT seq FROM sqlite_sequence WHERE name = 'outbox')");
            using var r = cmd.ExecuteReader();
            r.Read();
            if (!r.IsDBNull(0)) return r.GetInt64(0) - 2;
            return r.IsDBNull(1) ? -1 : r.GetInt64(1) - 1;
        }

        public int IntegrityErrors()
        {
            using var cmd = Cmd("PRAGMA integrity_check");
            return cmd.ExecuteScalar() as string == "ok" ? 0 : 1;
        }

        private SqliteCommand Cmd(string sql) { var c = _c.CreateCommand(); c.CommandText = sql; return c; }
        private void Exec(string sql) { using var c = Cmd(sql); c.ExecuteNonQuery(); }

        public void Dispose() { _insert.Dispose(); _delete.Dispose(); _head.Dispose(); _c.Dispose(); }
    }
}
