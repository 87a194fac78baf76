using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Lookback.Media.Upload;

/// <summary>Bounds of the queue: when a new job would exceed either, the oldest jobs are dropped (and logged).</summary>
public sealed record UploadQueueLimits(int MaxJobs = 10_000, long MaxBytes = 20L * 1024 * 1024 * 1024);

/// <summary>
/// The durable upload queue: one small JSON file per job under <c>storage/.state/uploads</c>, written (temp file,
/// flush, rename) before the upload starts and deleted only after the target acknowledged the upload. A restart
/// reloads every job left. Oldest first; bounded by <see cref="UploadQueueLimits"/> (the oldest jobs are dropped).
/// Thread-safe.
/// </summary>
public sealed class UploadQueue
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };
    private readonly string _dir;
    private readonly UploadQueueLimits _limits;
    private readonly ILogger? _log;
    private readonly object _gate = new();
    private readonly SortedDictionary<string, UploadJob> _jobs = new(StringComparer.Ordinal); // file name → job; names sort by creation
    private long _bytes, _uploaded, _uploadedBytes, _failures, _dropped;

    public UploadQueue(string dir, UploadQueueLimits? limits = null, ILogger? log = null)
    {
        _dir = dir;
        _limits = limits ?? new UploadQueueLimits();
        _log = log;
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.EnumerateFiles(dir, "*.json"))
        {
            try
            {
                var job = JsonSerializer.Deserialize<UploadJob>(File.ReadAllBytes(f), Json);
                if (job is null) continue;
                _jobs[Path.GetFileName(f)] = job;
                _bytes += job.Bytes;
            }
            catch (Exception ex) when (ex is JsonException or IOException)
            {
                _log?.LogWarning("Upload queue: skipping unreadable job {File}: {Error}", Path.GetFileName(f), ex.Message);
                TryDelete(f);
            }
        }
        foreach (var t in Directory.EnumerateFiles(dir, "*.tmp")) TryDelete(t); // a write cut short by a crash
        if (_jobs.Count > 0) _log?.LogInformation("Upload queue: {Count} job(s) pending from before the restart", _jobs.Count);
    }

    public int Pending { get { lock (_gate) return _jobs.Count; } }
    public long PendingBytes { get { lock (_gate) return _bytes; } }
    public long Uploaded => Interlocked.Read(ref _uploaded);
    public long UploadedBytes => Interlocked.Read(ref _uploadedBytes);
    /// <summary>Failed attempts (each is retried later).</summary>
    public long Failures => Interlocked.Read(ref _failures);
    /// <summary>Jobs dropped to keep the bounds.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Writes the job durably. Drops the oldest jobs first when the bounds would be exceeded.</summary>
    public void Enqueue(UploadJob job)
    {
        var name = $"{job.Created.UtcTicks:D19}-{job.Id}.json";
        Write(name, job);
        List<UploadJob> dropped = [];
        lock (_gate)
        {
            _jobs[name] = job;
            _bytes += job.Bytes;
            while (_jobs.Count > 1 && (_jobs.Count > _limits.MaxJobs || _bytes > _limits.MaxBytes))
            {
                var (oldName, old) = _jobs.First();
                _jobs.Remove(oldName);
                _bytes -= old.Bytes;
                TryDelete(Path.Combine(_dir, oldName));
                dropped.Add(old);
            }
        }
        foreach (var d in dropped)
        {
            Interlocked.Increment(ref _dropped);
            _log?.LogWarning("Upload queue full: dropped the oldest job {File} for {Target}", d.RelativePath, d.Target);
        }
    }

    /// <summary>The jobs in order, oldest first (a copy).</summary>
    public IReadOnlyList<UploadJob> Snapshot() { lock (_gate) return _jobs.Values.ToList(); }

    /// <summary>True while some job still needs the file (relative to the media root); retention keeps it.</summary>
    public bool IsPending(string relativePath)
    {
        lock (_gate) return _jobs.Values.Any(j => j.RelativePath == relativePath);
    }

    /// <summary>The set of files still needed by a job.</summary>
    public HashSet<string> PendingFiles() { lock (_gate) return _jobs.Values.Select(j => j.RelativePath).ToHashSet(StringComparer.Ordinal); }

    /// <summary>The target acknowledged the upload: the job is removed.</summary>
    public void Complete(UploadJob job)
    {
        if (!Remove(job)) return;
        Interlocked.Increment(ref _uploaded);
        Interlocked.Add(ref _uploadedBytes, job.Bytes);
    }

    /// <summary>The job can never succeed (its file is gone): removed without counting as uploaded.</summary>
    public bool Abandon(UploadJob job) => Remove(job);

    /// <summary>An attempt failed: the job stays, with one more attempt and the (secret-free) error.</summary>
    public UploadJob Failed(UploadJob job, string error)
    {
        Interlocked.Increment(ref _failures);
        var updated = job with { Attempts = job.Attempts + 1, LastError = error };
        lock (_gate)
        {
            var name = NameOf(job);
            if (name is null) return updated;
            _jobs[name] = updated;
            try { Write(name, updated); } catch (IOException) { } // the attempt count is advisory
        }
        return updated;
    }

    private bool Remove(UploadJob job)
    {
        lock (_gate)
        {
            var name = NameOf(job);
            if (name is null) return false;
            _bytes -= _jobs[name].Bytes;
            _jobs.Remove(name);
            TryDelete(Path.Combine(_dir, name));
            return true;
        }
    }

    private string? NameOf(UploadJob job) => _jobs.FirstOrDefault(kv => kv.Value.Id == job.Id).Key;

    private void Write(string name, UploadJob job)
    {
        var final = Path.Combine(_dir, name);
        var tmp = final + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(fs, job, Json);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, final, overwrite: true);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
