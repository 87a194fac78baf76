using Lookback.Hosting;
using static Microsoft.Playwright.Assertions;

namespace Lookback.Tests.WebUi;

/// <summary>The web UI of a Lookback with <c>http.api_token</c>: it says what is needed, and works after <c>/?token=</c>.</summary>
[Collection(UiCollection.Name)]
public sealed class TokenBrowserTests(UiFixture ui)
{
    [Fact]
    public async Task With_an_api_token_the_ui_asks_for_it_and_works_after_opening_it_once_with_the_token()
    {
        const string token = "ui-Token-0815";
        await using var cams = new DemoCameraServer([("garden", "Garden", 320, 240)]);
        var camBase = await cams.StartAsync(CancellationToken.None);
        var storage = Directory.CreateTempSubdirectory("lookback-webui-token-").FullName;
        var o = DemoMode.DemoOptions(null, camBase, 0);
        o = o with
        {
            Mqtt = null, LogLevel = "warning", Storage = o.Storage with { Path = storage },
            Http = o.Http with { Listen = "127.0.0.1", Port = 0, ApiToken = token },
            Cameras = [.. o.Cameras.Where(c => c.Slug == "garden").Select(c => c with { Motion = c.Motion with { Enabled = false } })],
        };
        await using var app = LookbackHost.Build(o, new HostSettings { RenderWorkers = 1 });
        await app.StartAsync();
        try
        {
            var page = await ui.NewPageAsync();
            await page.GotoAsync(app.BaseAddress.ToString());
            await Expect(page.Locator("#summary")).ToContainTextAsync("api_token");

            await page.GotoAsync(app.BaseAddress + "?token=" + token);
            Assert.Equal(app.BaseAddress.ToString(), page.Url); // redirected: the token is not left in the address bar
            await Expect(page.Locator(".tile[data-cam=garden] .badge")).ToHaveAttributeAsync("data-status", "online");
            await page.WaitForFunctionAsync("() => { const i = document.querySelector('.tile[data-cam=garden] img'); return !!i && i.complete && i.naturalWidth > 0; }",
                null, new() { Timeout = 20_000 });
            await ui.ScreenshotAsync(page, "token-grid");
            await page.Context.CloseAsync();
        }
        finally
        {
            await app.StopAsync();
            try { Directory.Delete(storage, true); } catch (IOException) { }
        }
    }
}
