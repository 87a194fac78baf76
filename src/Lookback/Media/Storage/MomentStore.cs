using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;

namespace Lookback.Media.Storage;

/// <summary>
/// One moment, GIF, MP4 or snapshot a user (HTTP, web UI), an automation (MQTT command) or a trigger asked for: what
/// GET /api/moments answers. <see cref="Files"/> are paths under the media root (e.g. mp4 and gif of a moment).
/// </summary>
public sealed record StoredMoment
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("camera")] public required string Camera { get; init; }
    /// <summary>snapshot | gif | mp4 | moment</summary>
    [JsonPropertyName("kind")] public required string Kind { get; init; }
    /// <summary>ok | error</summary>
    [JsonPropertyName("status")] public string Status { get; init; } = "ok";
    [JsonPropertyName("error")] public string? Error { get; init; }
    /// <summary>When it was asked for.</summary>
    [JsonPropertyName("requested_at")] public required DateTimeOffset RequestedAt { get; init; }
    /// <summary>The first and last frame it covers (null when it failed).</summary>
    [JsonPropertyName("start")] public DateTimeOffset? Start { get; init; }
    [JsonPropertyName("end")] public DateTimeOffset? End { get; init; }
    [JsonPropertyName("files")] public IReadOnlyDictionary<string, string> Files { get; init; } = new Dictionary<string, string>();
    [JsonPropertyName("bytes")] public long Bytes { get; init; }
    /// <summary>Who asked: http | mqtt | trigger.</summary>
    [JsonPropertyName("origin")] public required string Origin { get; init; }
    [JsonPropertyName("request_id")] public string? RequestId { get; init; }
    /// <summary>Triggers: the MQTT topic that fired it.</summary>
    [JsonPropertyName("trigger")] public string? Trigger { get; init; }
    /// <summary>Triggers with <c>doorbell: true</c>: the ring.</summary>
    [JsonPropertyName("doorbell")] public bool Doorbell { get; init; }
}

/// <summary>What <see cref="MomentStore.Query"/> keeps (null fields: any).</summary>
public sealed record MomentQuery
{
    public string? Camera { get; init; }
    public string? Kind { get; init; }
    /// <summary>Asked for at or after <see cref="From"/> and before <see cref="To"/>.</summary>
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    /// <summary>Paging back: asked for strictly before this time.</summary>
    public DateTimeOffset? Before { get; init; }
    public int Limit { get; init; } = 50;
}

/// <summary>
/// The moments table, in the event database (<c>.state/events.db</c>, beside the events). Rows and the files they
/// name are removed together by retention. Thread-safe: one pooled connection per call.
/// </summary>
public sealed class MomentStore
{
    private readonly string _cs;

    public MomentStore(string databasePath)
    {
        _cs = MediaRows.ConnectionString(databasePath);
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS moments (
              id TEXT PRIMARY KEY, camera TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, error TEXT,
              requested_ms INTEGER NOT NULL, start_ms INTEGER, end_ms INTEGER, files TEXT NOT NULL, bytes INTEGER NOT NULL,
              origin TEXT NOT NULL, request_id TEXT, trigger TEXT, doorbell INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS moments_camera_requested ON moments(camera, requested_ms DESC);
            CREATE INDEX IF NOT EXISTS moments_requested ON moments(requested_ms DESC);
            """;
        cmd.ExecuteNonQuery();
    }

    private SqliteConnection Open() { var c = new SqliteConnection(_cs); c.Open(); return c; }

    public void Insert(StoredMoment m)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT OR REPLACE INTO moments(id, camera, kind, status, error, requested_ms, start_ms, end_ms, files, bytes, origin, request_id, trigger, doorbell)
            VALUES ($id, $camera, $kind, $status, $error, $req, $start, $end, $files, $bytes, $origin, $rid, $trigger, $doorbell)
            """;
        cmd.Parameters.AddWithValue("$id", m.Id);
        cmd.Parameters.AddWithValue("$camera", m.Camera);
        cmd.Parameters.AddWithValue("$kind", m.Kind);
        cmd.Parameters.AddWithValue("$status", m.Status);
        cmd.Parameters.AddWithValue("$error", (object?)m.Error ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$req", m.RequestedAt.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$start", (object?)m.Start?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$end", (object?)m.End?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$files", MediaRows.FilesJson(m.Files));
        cmd.Parameters.AddWithValue("$bytes", m.Bytes);
        cmd.Parameters.AddWithValue("$origin", m.Origin);
        cmd.Parameters.AddWithValue("$rid", (object?)m.RequestId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$trigger", (object?)m.Trigger ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$doorbell", m.Doorbell ? 1 : 0);
        cmd.ExecuteNonQuery();
    }

    public StoredMoment? Get(string id)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT * FROM moments WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        using var r = cmd.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    /// <summary>Newest first (by the time they were asked for).</summary>
    public IReadOnlyList<StoredMoment> Query(MomentQuery q)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT * FROM moments WHERE ($camera IS NULL OR camera = $camera) AND ($kind IS NULL OR kind = $kind)
              AND ($from IS NULL OR requested_ms >= $from) AND ($to IS NULL OR requested_ms < $to)
              AND ($before IS NULL OR requested_ms < $before)
            ORDER BY requested_ms DESC LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$camera", (object?)q.Camera ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$kind", (object?)q.Kind ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$from", (object?)q.From?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$to", (object?)q.To?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$before", (object?)q.Before?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$limit", q.Limit);
        using var r = cmd.ExecuteReader();
        var list = new List<StoredMoment>();
        while (r.Read()) list.Add(Read(r));
        return list;
    }

    /// <summary>Deletes moments asked for before <paramref name="cutoff"/>; returns how many, and the files they named (to delete).</summary>
    public (int Deleted, IReadOnlyList<string> Files) DeleteOlderThan(DateTimeOffset cutoff)
    {
        using var c = Open();
        return MediaRows.DeleteOlderThan(c, "moments", "requested_ms", cutoff);
    }

    /// <summary>Removes every moment naming <paramref name="relativePath"/> among its files (retention deleted the file).</summary>
    public int DeleteNaming(string relativePath)
    {
        using var c = Open();
        return MediaRows.DeleteNaming(c, "moments", relativePath);
    }

    private static StoredMoment Read(SqliteDataReader r)
    {
        DateTimeOffset? Ms(string col) => r.IsDBNull(r.GetOrdinal(col)) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(r.GetOrdinal(col)));
        string? Text(string col) => r.IsDBNull(r.GetOrdinal(col)) ? null : r.GetString(r.GetOrdinal(col));
        return new StoredMoment
        {
            Id = r.GetString(r.GetOrdinal("id")),
            Camera = r.GetString(r.GetOrdinal("camera")),
            Kind = r.GetString(r.GetOrdinal("kind")),
            Status = r.GetString(r.GetOrdinal("status")),
            Error = Text("error"),
            RequestedAt = Ms("requested_ms")!.Value,
            Start = Ms("start_ms"),
            End = Ms("end_ms"),
            Files = MediaRows.ParseFiles(r.GetString(r.GetOrdinal("files"))),
            Bytes = r.GetInt64(r.GetOrdinal("bytes")),
            Origin = r.GetString(r.GetOrdinal("origin")),
            RequestId = Text("request_id"),
            Trigger = Text("trigger"),
            Doorbell = r.GetInt64(r.GetOrdinal("doorbell")) != 0,
        };
    }
}
