using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lookback.Tests.WebUi;

[Collection(UiCollection.Name)]
public sealed class ProbeTests(UiFixture ui)
{
    [Fact]
    public async Task Probe()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync(ui.BaseAddress.ToString());
        await Expect(page.Locator(".status").First).ToContainTextAsync("online");
        await ui.ScreenshotAsync(page, "probe");
    }
}
