using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Lookback.Mqtt;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lookback.Tests.Mqtt;

/// <summary>TLS to mosquitto with a private CA: trusted through ca_file, or accepted with tls_insecure; refused otherwise.</summary>
public class TlsTests
{
    private static (string CaPem, string CertPem, string KeyPem) MakeCerts()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=Lookback Test CA", caKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caReq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = req.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), [1, 2, 3, 4]);
        return (ca.ExportCertificatePem(), cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    [Fact]
    public async Task Connects_with_a_ca_file_or_insecure_and_refuses_an_unknown_ca()
    {
        var (caPem, certPem, keyPem) = MakeCerts();
        var tlsPort = Mosquitto.FreePort();
        using var broker = new Mosquitto(extraConfig: dir =>
        {
            File.WriteAllText(Path.Combine(dir, "ca.pem"), caPem);
            File.WriteAllText(Path.Combine(dir, "server.pem"), certPem);
            File.WriteAllText(Path.Combine(dir, "server.key"), keyPem);
            // mosquitto started as root drops to the "mosquitto" user before it reads the key: make them readable.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
                foreach (var f in new[] { "ca.pem", "server.pem", "server.key" })
                    File.SetUnixFileMode(Path.Combine(dir, f), (UnixFileMode)0b110_100_100);
            }
            return $"listener {tlsPort} 127.0.0.1\ncafile {dir}/ca.pem\ncertfile {dir}/server.pem\nkeyfile {dir}/server.key\n";
        });
        var caFile = Path.Combine(Directory.CreateTempSubdirectory("ca-").FullName, "ca.pem");
        File.WriteAllText(caFile, caPem);

        async Task<bool> TryConnect(string? ca, bool insecure)
        {
            await using var c = new MqttConnection(new MqttConnectionSettings
            {
                Host = "127.0.0.1", Port = tlsPort, ClientId = "tls-" + Guid.NewGuid().ToString("N")[..6], NodeTopic = "lookback/nodes/tls",
                Tls = true, CaFile = ca, TlsInsecure = insecure,
            }, NullLogger.Instance);
            await c.StartAsync(CancellationToken.None);
            try { await c.WaitConnectedAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(4)); return true; }
            catch (TimeoutException) { return false; }
        }

        Assert.True(await TryConnect(caFile, insecure: false));
        Assert.True(await TryConnect(null, insecure: true));
        Assert.False(await TryConnect(null, insecure: false));
    }
}
