using Lookback.Addon;
using Microsoft.AspNetCore.Http;

namespace Lookback.Tests.Addon;

public class SupervisorClientTests
{
    private const string Token = "test-token-123";

    [Fact]
    public async Task Reads_the_broker_with_a_numeric_port_and_sends_the_token()
    {
        await using var sup = await FakeSupervisor.StartAsync(200, """
            {"result":"ok","data":{"addon":"core_mosquitto","host":"core-mosquitto","port":1883,"ssl":false,
             "protocol":"3.1.1","username":"addons","password":"s3cret"}}
            """);
        using var client = new SupervisorClient(Token, sup.BaseUrl);
        var mqtt = await client.GetMqttServiceAsync();
        Assert.Equal("core-mosquitto", mqtt.Host);
        Assert.Equal(1883, mqtt.Port);
        Assert.Equal("addons", mqtt.Username);
        Assert.Equal("s3cret", mqtt.Password);
        Assert.False(mqtt.Tls);
        Assert.Equal("Bearer " + Token, sup.LastAuthorization);
    }

    [Fact]
    public async Task Reads_a_port_given_as_a_string_and_ssl()
    {
        await using var sup = await FakeSupervisor.StartAsync(200, """
            {"result":"ok","data":{"host":"broker.local","port":"8883","ssl":true,"protocol":"3.1.1"}}
            """);
        using var client = new SupervisorClient(Token, sup.BaseUrl);
        var mqtt = await client.GetMqttServiceAsync();
        Assert.Equal("broker.local", mqtt.Host);
        Assert.Equal(8883, mqtt.Port);
        Assert.True(mqtt.Tls);
        Assert.Equal("", mqtt.Username);
        Assert.Equal("", mqtt.Password);
    }

    [Fact]
    public async Task Forbidden_says_that_the_mqtt_service_is_missing_from_config_yaml()
    {
        await using var sup = await FakeSupervisor.StartAsync(403, """{"result":"error","message":"No access to mqtt service!"}""");
        using var client = new SupervisorClient(Token, sup.BaseUrl);
        var ex = await Assert.ThrowsAsync<SupervisorException>(() => client.GetMqttServiceAsync());
        Assert.Equal(403, ex.StatusCode);
        Assert.Contains("No access to mqtt service!", ex.Message);
        Assert.Contains("mqtt:need", ex.Message);
    }

    [Fact]
    public async Task Bad_request_says_that_no_broker_is_installed()
    {
        await using var sup = await FakeSupervisor.StartAsync(400, """{"result":"error","message":"Service not enabled"}""");
        using var client = new SupervisorClient(Token, sup.BaseUrl);
        var ex = await Assert.ThrowsAsync<SupervisorException>(() => client.GetMqttServiceAsync());
        Assert.Equal(400, ex.StatusCode);
        Assert.Contains("Service not enabled", ex.Message);
        Assert.Contains("Mosquitto", ex.Message);
    }

    [Fact]
    public async Task A_silent_supervisor_times_out_with_a_clear_message()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var sup = await FakeSupervisor.StartAsync(async ctx =>
        {
            // Never answers until the test ends (or the client gives up and aborts the request).
            await Task.WhenAny(release.Task, Task.Delay(Timeout.Infinite, ctx.RequestAborted));
        });
        try
        {
            using var client = new SupervisorClient(Token, sup.BaseUrl, TimeSpan.FromMilliseconds(300));
            var ex = await Assert.ThrowsAsync<SupervisorException>(() => client.GetMqttServiceAsync());
            Assert.Null(ex.StatusCode);
            Assert.Contains("did not answer", ex.Message);
        }
        finally { release.TrySetResult(); }
    }

    [Fact]
    public async Task Caller_cancellation_is_not_reported_as_a_timeout()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var sup = await FakeSupervisor.StartAsync(async ctx =>
        {
            arrived.TrySetResult();
            await Task.WhenAny(release.Task, Task.Delay(Timeout.Infinite, ctx.RequestAborted));
        });
        try
        {
            using var client = new SupervisorClient(Token, sup.BaseUrl);
            using var cts = new CancellationTokenSource();
            var call = client.GetMqttServiceAsync(cts.Token);
            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        }
        finally { release.TrySetResult(); }
    }

    [Fact]
    public async Task An_unreachable_supervisor_is_a_clear_error()
    {
        // A port that was free a moment ago: nothing listens there.
        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        using var client = new SupervisorClient(Token, new Uri($"http://127.0.0.1:{port}/"));
        var ex = await Assert.ThrowsAsync<SupervisorException>(() => client.GetMqttServiceAsync());
        Assert.Contains("cannot reach the Supervisor", ex.Message);
    }

    [Theory]
    [InlineData("""{"result":"ok","data":{"host":"h","port":0}}""", "port")]
    [InlineData("""{"result":"ok","data":{"host":"h","port":"x"}}""", "port")]
    [InlineData("""{"result":"ok","data":{"port":1883}}""", "host")]
    [InlineData("""{"result":"ok"}""", "data")]
    [InlineData("""not json""", "not JSON")]
    [InlineData("""{"result":"error","message":"boom","data":{}}""", "boom")]
    public void Rejects_malformed_answers(string json, string mentions)
    {
        var ex = Assert.Throws<SupervisorException>(() => SupervisorClient.ParseMqttService(json));
        Assert.Contains(mentions, ex.Message);
    }

    [Fact]
    public void Error_messages_never_contain_the_password()
    {
        var ex = Assert.Throws<SupervisorException>(() =>
            SupervisorClient.ParseMqttService("""{"result":"ok","data":{"host":"h","port":"bad","password":"hunter2"}}"""));
        Assert.DoesNotContain("hunter2", ex.Message);
    }

    [Fact]
    public void A_missing_token_is_a_clear_error()
    {
        var ex = Assert.Throws<SupervisorException>(() => new SupervisorClient(""));
        Assert.Contains("SUPERVISOR_TOKEN", ex.Message);
    }
}
