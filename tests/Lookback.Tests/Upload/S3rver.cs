using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Lookback.Config;

namespace Lookback.Tests.Upload;

/// <summary>
/// A real S3 server for tests: s3rver (npm, pinned in tests/s3/package.json; <c>npm ci</c> when node_modules is
/// missing) on 127.0.0.1, with one bucket. The first start takes a free port (s3rver prints it); Stop()/Start()
/// again reuse that port and the data folder, for outage tests. The access key must be s3rver's (S3RVER); signatures
/// are checked for form only (--allow-mismatched-signatures), so tests may use any secret.
/// </summary>
public sealed partial class S3rver : IAsyncDisposable
{
    public const string Bucket = "cams";
    private static readonly SemaphoreSlim Install = new(1, 1);
    private readonly string _data = Directory.CreateTempSubdirectory("s3rver-").FullName;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;
    private bool _countStores;

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex AnsiRegex();

    /// <summary>How many times the server stored an object under <paramref name="key"/> (PUT or completed multipart),
    /// across restarts; needs <c>countStores</c>.</summary>
    public int StoredCount(string key) =>
        _output.Count(l => AnsiRegex().Replace(l, "").Contains($"Stored object \"{key}\" in bucket", StringComparison.Ordinal));

    public int Port { get; private set; }
    public string Endpoint => $"http://127.0.0.1:{Port}";

    [GeneratedRegex(@"S3rver listening on [^:]+:(\d+)")]
    private static partial Regex ListeningRegex();

    /// <param name="countStores">Run without --silent and keep the log, for <see cref="StoredCount"/>.</param>
    public static async Task<S3rver> StartAsync(bool countStores = false)
    {
        var s = new S3rver { _countStores = countStores };
        await s.StartAgainAsync();
        return s;
    }

    public UploadTargetOptions Target(string name = "offsite", string secret = "s3cr3t-Upl0ad-Key", UploadMedia media = UploadMedia.Events | UploadMedia.Moments) => new()
    {
        Name = name, Type = UploadType.S3, Endpoint = Endpoint, Bucket = Bucket, Region = "us-east-1",
        AccessKey = "S3RVER", SecretKey = secret, Media = media, Timeout = 10,
    };

    public async Task StartAgainAsync()
    {
        if (_process is { HasExited: false }) return;
        var dir = await EnsureInstalledAsync();
        var psi = new ProcessStartInfo("node",
            [Path.Combine(dir, "node_modules", "s3rver", "bin", "s3rver.js"), "-d", _data, "-a", "127.0.0.1", "-p", Port.ToString(),
             .. (_countStores ? Array.Empty<string>() : ["--silent"]), "--allow-mismatched-signatures", "--configure-bucket", Bucket])
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var p = Process.Start(psi)!;
        int? port = null;
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            _output.Enqueue(e.Data);
            if (ListeningRegex().Match(e.Data) is { Success: true } m) port = int.Parse(m.Groups[1].Value);
        };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) _output.Enqueue(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;
        await Wait.UntilAsync(() => port is not null || p.HasExited, TimeSpan.FromSeconds(30), "s3rver to listen");
        if (p.HasExited) throw new InvalidOperationException("s3rver exited: " + string.Join(" / ", _output));
        Port = port!.Value;
    }

    /// <summary>Kills the server (an outage); its data stays.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } p) return;
        p.Kill(entireProcessTree: true);
        await p.WaitForExitAsync();
        p.Dispose();
        _process = null;
    }

    /// <summary>A client of this server (for checking what arrived).</summary>
    public AmazonS3Client Client() => new(new BasicAWSCredentials("S3RVER", "S3RVER"),
        new AmazonS3Config { ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    public async Task<Dictionary<string, long>> ListAsync()
    {
        using var c = Client();
        var r = await c.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket });
        return (r.S3Objects ?? []).ToDictionary(o => o.Key, o => o.Size ?? 0);
    }

    public async Task<byte[]> GetAsync(string key)
    {
        using var c = Client();
        using var r = await c.GetObjectAsync(Bucket, key);
        using var ms = new MemoryStream();
        await r.ResponseStream.CopyToAsync(ms);
        return ms.ToArray();
    }

    private static async Task<string> EnsureInstalledAsync()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "tests", "s3", "package.json"))) dir = Path.GetDirectoryName(dir);
        if (dir is null) throw new InvalidOperationException("tests/s3/package.json not found above " + AppContext.BaseDirectory);
        var s3 = Path.Combine(dir, "tests", "s3");
        await Install.WaitAsync();
        try
        {
            if (File.Exists(Path.Combine(s3, "node_modules", "s3rver", "bin", "s3rver.js"))) return s3;
            var psi = new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund"]) { WorkingDirectory = s3, UseShellExecute = false };
            using var npm = Process.Start(psi)!;
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await npm.WaitForExitAsync(cts.Token);
            if (npm.ExitCode != 0) throw new InvalidOperationException($"npm ci in {s3} failed ({npm.ExitCode})");
            return s3;
        }
        finally { Install.Release(); }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(_data, true); } catch (IOException) { }
    }
}
