using static Microsoft.Playwright.Assertions;

namespace Lookback.Tests.WebUi;

/// <summary>The discover page in a real chromium: it asks POST api/discover and shows each camera's proposed block.</summary>
[Collection(UiCollection.Name)]
public sealed class DiscoverPageTests(UiFixture ui)
{
    [Fact]
    public async Task Discover_page_lists_the_USB_camera_with_a_block_to_copy()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync(ui.BaseAddress + "#/discover");
        await Expect(page.Locator("[data-nav=discover]")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("active"));
        await page.Locator("#discover-onvif").UncheckAsync(); // no probe of the machine's real network from a test
        await page.Locator("#discover-go").ClickAsync();
        var card = page.Locator(".discover-card[data-kind=usb]");
        await Expect(card.Locator("h3")).ToContainTextAsync("Desk Webcam");
        await Expect(page.Locator("#discover-yaml-desk_webcam")).ToContainTextAsync("kind: usb");
        await Expect(page.Locator("#discover-yaml-desk_webcam")).ToContainTextAsync("/dev/video0");
        await Expect(page.Locator("#discover-state")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^1 camera in \d+\.\d s$"));
        await card.Locator("button.copy").ClickAsync();
        await Expect(card.Locator(".yaml-block .muted")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(Copied\\.|Selected: press Ctrl\\+C\\.)$"));
        await ui.ScreenshotAsync(page, "discover");
        Assert.DoesNotContain(ui.App.Options.Cameras, c => c.Slug == "desk_webcam"); // nothing was added
        await page.CloseAsync();
    }
}
