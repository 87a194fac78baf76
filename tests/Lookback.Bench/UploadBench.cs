using System.Diagnostics;
using System.Text.RegularExpressions;
using Lookback.Config;
using Lookback.Media.Upload;

namespace Lookback.Bench;

/// <summary>
/// Upload throughput to a local S3 server (s3rver from tests/s3; run <c>npm ci</c> there first) through the S3
/// target (PUT with MD5 check + HEAD), and the CPU it costs this process, for typical media sizes.
/// </summary>
[Bench("upload")]
public static partial class UploadBench
{
    [GeneratedRegex(@"S3rver listening on [^:]+:(\d+)")]
    private static partial Regex Listening();

    public static async Task RunAsync(string[] args)
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "tests", "s3", "node_modules", "s3rver", "bin", "s3rver.js"))) dir = Path.GetDirectoryName(dir);
        if (dir is null) { Console.WriteLine("s3rver not installed: run `npm ci` in tests/s3"); return; }
        var data = Directory.CreateTempSubdirectory("bench-s3-").FullName;
        var files = Directory.CreateTempSubdirectory("bench-up-").FullName;
        var psi = new ProcessStartInfo("node", [Path.Combine(dir, "tests", "s3", "node_modules", "s3rver", "bin", "s3rver.js"),
            "-d", data, "-a", "127.0.0.1", "-p", "0", "--silent", "--allow-mismatched-signatures", "--configure-bucket", "bench"])
        { RedirectStandardOutput = true, UseShellExecute = false };
        using var node = Process.Start(psi)!;
        try
        {
            int port = 0;
            while (await node.StandardOutput.ReadLineAsync() is { } line)
                if (Listening().Match(line) is { Success: true } m) { port = int.Parse(m.Groups[1].Value); break; }
            using var target = new S3Target(new UploadTargetOptions
            {
                Name = "bench", Endpoint = $"http://127.0.0.1:{port}", Bucket = "bench", AccessKey = "S3RVER", SecretKey = "bench-secret",
            });
            Console.WriteLine($"{"file",10} {"count",6} {"MB/s",8} {"files/s",8} {"cpu ms/MB",10}");
            foreach (var (size, count) in new[] { (60 * 1024, 100), (1024 * 1024, 40), (8 * 1024 * 1024, 8) })
            {
                var path = Path.Combine(files, $"f{size}.bin");
                var bytes = new byte[size];
                new Random(size).NextBytes(bytes);
                File.WriteAllBytes(path, bytes);
                await target.UploadAsync(path, "warmup", CancellationToken.None);
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < count; i++) await target.UploadAsync(path, $"k/{size}/{i}", CancellationToken.None);
                sw.Stop();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
                var mb = (double)size * count / (1024 * 1024);
                Console.WriteLine($"{size / 1024 + " KB",10} {count,6} {mb / sw.Elapsed.TotalSeconds,8:0.0} {count / sw.Elapsed.TotalSeconds,8:0.0} {cpu.TotalMilliseconds / mb,10:0.0}");
            }
        }
        finally
        {
            node.Kill(entireProcessTree: true);
            await node.WaitForExitAsync();
            Directory.Delete(data, true);
            Directory.Delete(files, true);
        }
    }
}
