using Microsoft.Data.Sqlite;

namespace Lookback.Media.Storage;

/// <summary>A camera went online or offline at a time (what the timeline draws offline periods from).</summary>
public sealed record AvailabilityChange(string Camera, DateTimeOffset At, bool Online, string? Error);

/// <summary>
/// Camera availability changes, a table of the event database (<c>camera_status</c>): one row per change of a
/// camera between online and offline (repeats are skipped). Removed by retention after <c>retain_days</c>.
/// </summary>
public sealed class AvailabilityLog
{
    private readonly string _cs;
    private readonly Dictionary<string, bool> _last = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public AvailabilityLog(string databasePath)
    {
        _cs = MediaRows.ConnectionString(databasePath);
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS camera_status (camera TEXT NOT NULL, at_ms INTEGER NOT NULL, online INTEGER NOT NULL, error TEXT);
            CREATE INDEX IF NOT EXISTS camera_status_camera_at ON camera_status(camera, at_ms);
            """;
        cmd.ExecuteNonQuery();
    }

    private SqliteConnection Open() { var c = new SqliteConnection(_cs); c.Open(); return c; }

    /// <summary>Records a change; returns false (nothing written) when the camera already had this state.</summary>
    public bool Record(AvailabilityChange change)
    {
        lock (_gate)
        {
            if (!_last.TryGetValue(change.Camera, out var was)) was = Last(change.Camera, DateTimeOffset.MaxValue)?.Online ?? !change.Online;
            if (was == change.Online) return false;
            _last[change.Camera] = change.Online;
        }
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO camera_status(camera, at_ms, online, error) VALUES ($c, $at, $on, $err)";
        cmd.Parameters.AddWithValue("$c", change.Camera);
        cmd.Parameters.AddWithValue("$at", change.At.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$on", change.Online ? 1 : 0);
        cmd.Parameters.AddWithValue("$err", (object?)change.Error ?? DBNull.Value);
        cmd.ExecuteNonQuery();
        return true;
    }

    /// <summary>The changes of <paramref name="camera"/> (null: every camera) in [from, to), oldest first.</summary>
    public IReadOnlyList<AvailabilityChange> Between(string? camera, DateTimeOffset from, DateTimeOffset to)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT * FROM camera_status WHERE ($c IS NULL OR camera = $c) AND at_ms >= $from AND at_ms < $to ORDER BY at_ms";
        cmd.Parameters.AddWithValue("$c", (object?)camera ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$from", from.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$to", to.ToUnixTimeMilliseconds());
        return ReadAll(cmd);
    }

    /// <summary>The last change of <paramref name="camera"/> before <paramref name="before"/> (its state then), or null.</summary>
    public AvailabilityChange? Last(string camera, DateTimeOffset before)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT * FROM camera_status WHERE camera = $c AND at_ms < $before ORDER BY at_ms DESC LIMIT 1";
        cmd.Parameters.AddWithValue("$c", camera);
        cmd.Parameters.AddWithValue("$before", before == DateTimeOffset.MaxValue ? long.MaxValue : before.ToUnixTimeMilliseconds());
        return ReadAll(cmd).FirstOrDefault();
    }

    public int DeleteOlderThan(DateTimeOffset cutoff)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM camera_status WHERE at_ms < $cut";
        cmd.Parameters.AddWithValue("$cut", cutoff.ToUnixTimeMilliseconds());
        return cmd.ExecuteNonQuery();
    }

    private static List<AvailabilityChange> ReadAll(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<AvailabilityChange>();
        while (r.Read())
            list.Add(new AvailabilityChange(r.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.GetInt64(2) != 0,
                r.IsDBNull(3) ? null : r.GetString(3)));
        return list;
    }
}
