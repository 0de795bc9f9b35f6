"""How Tickscope starts a browser: Debian's chromium (never a downloaded one), headless, with
the flags that keep it from reaching beyond localhost. One recipe for the tests and the bench."""

from playwright.sync_api import Browser, Playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch_chromium(playwright: Playwright, *extra_flags: str) -> Browser:
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_FLAGS, *extra_flags]
    )
