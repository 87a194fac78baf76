using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Lookback.Tests.Hosting;

/// <summary>
/// A real <c>lookback run</c> process (the built executable) with a YAML configuration, its own free HTTP port and
/// temp storage; output captured. <see cref="Kill9"/> for a crash, <see cref="Freeze"/>/<see cref="Resume"/>
/// (SIGSTOP/SIGCONT) for a node that stops answering without closing its connection.
/// </summary>
public sealed class LookbackProcess : IAsyncDisposable
{
    private readonly Process _p;
    private readonly StringBuilder _out = new();
    private readonly bool _ownsStorage;

    private LookbackProcess(Process p, int port, string storage, bool ownsStorage)
    {
        _p = p; HttpPort = port; Storage = storage; _ownsStorage = ownsStorage;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_out) _out.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_out) _out.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
    }

    public int HttpPort { get; }
    public string Storage { get; }
    public HttpClient Http { get; }
    public int Pid => _p.Id;
    public bool Exited => _p.HasExited;
    public string Output { get { lock (_out) return _out.ToString(); } }

    /// <summary>
    /// Starts <c>lookback run</c> with <paramref name="yaml"/> (everything but <c>http</c> and <c>storage</c>, which are
    /// added) and waits until its HTTP API answers.
    /// </summary>
    public static async Task<LookbackProcess> StartAsync(string yaml, string? storage = null, int? port = null)
    {
        var own = storage is null;
        storage ??= Directory.CreateTempSubdirectory("lookback-node-").FullName;
        var httpPort = port ?? Mqtt.Mosquitto.FreePort();
        var config = Path.Combine(storage, "lookback.yaml");
        await File.WriteAllTextAsync(config, yaml.TrimEnd() + $"""

            http:
              listen: 127.0.0.1
              port: {httpPort}
              public_url: http://127.0.0.1:{httpPort}
            storage:
              path: {Path.Combine(storage, "media")}
            """);
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "lookback"), ["run", "--config", config])
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var lp = new LookbackProcess(Process.Start(psi)!, httpPort, storage, own);
        await Wait.UntilAsync(() => lp.Exited || lp.Healthy(), TimeSpan.FromSeconds(60), "lookback's HTTP API");
        if (lp.Exited) throw new InvalidOperationException("lookback exited: " + lp.Output);
        return lp;
    }

    private bool Healthy()
    {
        try { return Http.GetAsync("/healthz").Result.IsSuccessStatusCode; }
        catch (Exception) { return false; }
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        var text = await Http.GetStringAsync(path);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The camera's entry in <c>/api/cameras</c>.</summary>
    public async Task<JsonElement> CameraAsync(string slug) =>
        (await GetJsonAsync("/api/cameras")).EnumerateArray().Single(c => c.GetProperty("name").GetString() == slug);

    /// <summary>Polls <c>/api/cameras</c> until the camera's status is <paramref name="status"/>.</summary>
    public async Task WaitStatusAsync(string slug, string status, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        string? last = null;
        while (sw.Elapsed < timeout)
        {
            last = (await CameraAsync(slug)).GetProperty("status").GetString();
            if (last == status) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"camera {slug} stayed '{last}', not '{status}', for {timeout.TotalSeconds:0} s\n{Output}");
    }

    /// <summary>Lines of the output that contain <paramref name="text"/>.</summary>
    public int CountLines(string text) => Output.Split('\n').Count(l => l.Contains(text, StringComparison.Ordinal));

    public void Kill9() { try { _p.Kill(); } catch (InvalidOperationException) { } _p.WaitForExit(10_000); }
    public void Freeze() => Signal("-STOP");
    public void Resume() => Signal("-CONT");
    private void Signal(string sig) => Process.Start("kill", [sig, _p.Id.ToString()])!.WaitForExit();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_p.HasExited)
        {
            Resume();
            Signal("-TERM");
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await _p.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { Kill9(); }
        }
        _p.Dispose();
        if (_ownsStorage) try { Directory.Delete(Storage, true); } catch (IOException) { }
    }
}
