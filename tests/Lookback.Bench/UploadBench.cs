using System.Diagnostics;
using System.Text.RegularExpressions;
using Lookback.Config;
using Lookback.Media.Upload;

namespace Lookback.Bench;

/// <summary>
/// Upload throughput to a local S3 server (s3rver from tests/s3; run <c>npm ci</c> there first) through the S3
/// target (PUT with MD5 check + HEAD; multipart: parts with MD5 checks, complete, HEAD), and the CPU it costs this
/// process (and the server), for typical media sizes.
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
            var options = new UploadTargetOptions
            {
                Name = "bench", Endpoint = $"http://127.0.0.1:{port}", Bucket = "bench", AccessKey = "S3RVER", SecretKey = "bench-secret",
            };
            using var single = new S3Target(options with { MultipartThreshold = 5L * 1024 * 1024 * 1024 });
            using var multi = new S3Target(options with { MultipartThreshold = 5 * 1024 * 1024, PartSize = 8 * 1024 * 1024 });
            Console.WriteLine("| file | upload | count | MB/s | files/s | Lookback CPU ms/MB | s3rver CPU ms/MB |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            foreach (var (size, count, multipart) in new[]
                     { (60 * 1024, 100, false), (1024 * 1024, 40, false), (8 * 1024 * 1024, 8, false), (64 * 1024 * 1024, 3, false), (64 * 1024 * 1024, 3, true) })
            {
                var target = multipart ? multi : single;
                var path = Path.Combine(files, $"f{size}.bin");
                if (!File.Exists(path))
                {
                    var bytes = new byte[size];
                    new Random(size).NextBytes(bytes);
                    File.WriteAllBytes(path, bytes);
                }
                await target.UploadAsync(path, "warmup", CancellationToken.None);
                node.Refresh();
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var server0 = node.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < count; i++) await target.UploadAsync(path, $"k/{size}/{multipart}/{i}", CancellationToken.None);
                sw.Stop();
                node.Refresh();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
                var server = node.TotalProcessorTime - server0;
                var mb = (double)size * count / (1024 * 1024);
                var label = size >= 1024 * 1024 ? $"{size / (1024 * 1024)} MB" : $"{size / 1024} KB";
                Console.WriteLine($"| {label} | {(multipart ? "multipart 8 MB parts" : "one PUT")} | {count} | {mb / sw.Elapsed.TotalSeconds:0.0} | {count / sw.Elapsed.TotalSeconds:0.0} | {cpu.TotalMilliseconds / mb:0.0} | {server.TotalMilliseconds / mb:0.0} |");
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
