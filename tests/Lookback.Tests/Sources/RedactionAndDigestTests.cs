using System.Net.Http.Headers;
using Lookback.Config;
using Lookback.Sources;

namespace Lookback.Tests.Sources;

public class RedactionAndDigestTests
{
    [Theory]
    [InlineData("http://admin:Sup3rS3cret!@10.0.0.9/snap.jpg", "http://10.0.0.9/snap.jpg")]
    [InlineData("http://10.0.0.9/cgi?user=admin&pwd=Sup3rS3cret!&chn=1", "http://10.0.0.9/cgi?user=admin&pwd=***&chn=1")]
    [InlineData("http://h/x?password=a&pass=b&token=c&auth=d&key=e&api_key=f&x=1", "http://h/x?password=***&pass=***&token=***&auth=***&key=***&api_key=***&x=1")]
    [InlineData("https://u@h:8443/p?PassWord=z#frag", "https://h:8443/p?PassWord=***#frag")]
    [InlineData("http://127.0.0.1:5123/snap.jpg", "http://127.0.0.1:5123/snap.jpg")]
    public void Redacts_user_info_and_secret_query_values(string url, string expected) =>
        Assert.Equal(expected, Redaction.Redact(url));

    // RFC 7616 section 3.9.1 examples
    [Theory]
    [InlineData("MD5", "8ca523f5e9506fed4657c9700eebdbec")]
    [InlineData("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")]
    public void Digest_response_matches_rfc7616_examples(string algorithm, string expected)
    {
        var challenge = AuthChallenge.Parse("Digest",
            $"realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm={algorithm}, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");
        var session = new DigestSession(challenge, "Mufasa", "Circle of Life");
        var header = session.Authorize("GET", "/dir/index.html", cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
        var p = AuthChallenge.ParseParameters(header["Digest ".Length..]);
        Assert.Equal(expected, p["response"]);
        Assert.Equal("00000001", p["nc"]);
        Assert.Equal("auth", p["qop"]);
        Assert.Equal("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", p["opaque"]);
        var next = AuthChallenge.ParseParameters(session.Authorize("GET", "/dir/index.html")["Digest ".Length..]);
        Assert.Equal("00000002", next["nc"]);
    }

    [Fact]
    public void Wrong_credentials_are_not_retried_forever()
    {
        var auth = new HttpAuthState(AuthKind.None, "admin", "bad");
        AuthenticationHeaderValue[] challenge = [new("Digest", "realm=\"r\", nonce=\"n1\", qop=\"auth\"")];
        Assert.Null(auth.OnUnauthorized(challenge));              // first challenge: answer it
        Assert.NotNull(auth.Authorization("GET", "/"));           // fresh nonce, nc=1
        Assert.Equal("wrong username or password (digest)", auth.OnUnauthorized([new("Digest", "realm=\"r\", nonce=\"n2\", qop=\"auth\"")]));
    }

    [Fact]
    public void Stale_or_renewed_nonce_is_answered()
    {
        var auth = new HttpAuthState(AuthKind.Digest, "admin", "pw");
        Assert.Null(auth.OnUnauthorized([new("Digest", "realm=\"r\", nonce=\"n1\", qop=\"auth\"")]));
        auth.Authorization("GET", "/");
        auth.Authorization("GET", "/"); // nonce reused (nc=2)
        Assert.Null(auth.OnUnauthorized([new("Digest", "realm=\"r\", nonce=\"n2\", qop=\"auth\", stale=true")]));
        auth.Authorization("GET", "/");
        Assert.Null(auth.OnUnauthorized([new("Digest", "realm=\"r\", nonce=\"n3\", qop=\"auth\", stale=TRUE")]));
    }

    [Fact]
    public void Basic_is_refused_when_digest_is_configured()
    {
        var auth = new HttpAuthState(AuthKind.Digest, "admin", "pw");
        Assert.Equal("camera asks for basic auth but auth is set to digest", auth.OnUnauthorized([new("Basic", "realm=\"r\"")]));
    }
}
