using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace Lookback.Mqtt;

/// <summary>An accepted render command, enough to answer it after a restart.</summary>
public sealed record JournalEntry(
    [property: JsonPropertyName("camera")] string Camera,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("request_id")] string? RequestId = null,
    [property: JsonPropertyName("response_topic")] string? ResponseTopic = null,
    [property: JsonPropertyName("correlation")] byte[]? CorrelationData = null);

/// <summary>
/// The render commands accepted and not answered yet, in <c>&lt;storage&gt;/.state/commands.journal</c> (one JSON line per
/// accept, one per answer, flushed to the OS at once: survives a killed process). <see cref="Recover"/> returns what the
/// previous run accepted and never answered (it was killed while rendering), so the bridge can answer "interrupted".
/// The file is emptied whenever nothing is pending and rewritten with the pending lines when it passes 1 MB.
/// </summary>
public sealed class CommandJournal : IDisposable
{
    private sealed record Line(
        [property: JsonPropertyName("a")] long? Accepted = null,
        [property: JsonPropertyName("d")] long? Done = null,
        [property: JsonPropertyName("e")] JournalEntry? Entry = null);

    private const long CompactBytes = 1024 * 1024;
    private readonly string _path;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly Dictionary<long, string> _pending = [];
    private FileStream? _file;
    private long _next;
    private bool _broken;

    public CommandJournal(string path, ILogger logger)
    {
        _path = path;
        _log = logger;
    }

    public string Path => _path;
    public int Pending { get { lock (_gate) return _pending.Count; } }

    /// <summary>Reads the previous run's unanswered commands, then starts an empty journal. Never throws.</summary>
    public IReadOnlyList<JournalEntry> Recover()
    {
        var open = new Dictionary<long, JournalEntry>();
        lock (_gate)
        {
            try
            {
                if (File.Exists(_path))
                    foreach (var text in File.ReadLines(_path, Encoding.UTF8))
                    {
                        Line? line;
                        try { line = JsonSerializer.Deserialize<Line>(text); }
                        catch (JsonException) { continue; } // a torn last line of a killed process
                        if (line?.Accepted is { } a && line.Entry is { } e) open[a] = e;
                        else if (line?.Done is { } d) open.Remove(d);
                    }
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(_path)!);
                _file = new FileStream(_path, FileMode.Create, FileAccess.Write, FileShare.Read);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _broken = true;
                _log.LogWarning("MQTT: command journal {Path} unusable ({Error}); commands interrupted by a crash will not be answered", _path, ex.Message);
            }
        }
        return [.. open.OrderBy(kv => kv.Key).Select(kv => kv.Value)];
    }

    /// <summary>Records an accepted command; returns its id for <see cref="Done"/>.</summary>
    public long Accept(JournalEntry entry)
    {
        lock (_gate)
        {
            var id = ++_next;
            var text = JsonSerializer.Serialize(new Line(Accepted: id, Entry: entry));
            _pending[id] = text;
            Append(text);
            return id;
        }
    }

    /// <summary>Records that the command was answered.</summary>
    public void Done(long id)
    {
        lock (_gate)
        {
            if (!_pending.Remove(id)) return;
            if (_file is null || _broken) return;
            try
            {
                if (_pending.Count == 0) { _file.SetLength(0); _file.Position = 0; return; }
                if (_file.Length > CompactBytes) { Rewrite(); return; }
            }
            catch (IOException ex) { Fail(ex); return; }
            Append(JsonSerializer.Serialize(new Line(Done: id)));
        }
    }

    private void Rewrite()
    {
        _file!.SetLength(0);
        _file.Position = 0;
        foreach (var text in _pending.Values) Write(text);
        _file.Flush();
    }

    private void Append(string text)
    {
        if (_file is null || _broken) return;
        try { Write(text); _file.Flush(); }
        catch (IOException ex) { Fail(ex); }
    }

    private void Write(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text + "\n");
        _file!.Write(bytes);
    }

    private void Fail(IOException ex)
    {
        _broken = true;
        _log.LogWarning("MQTT: cannot write the command journal {Path}: {Error}", _path, ex.Message);
    }

    public void Dispose()
    {
        lock (_gate) { _file?.Dispose(); _file = null; }
    }
}
