"""Start Debian's Chromium for browser tests, headless, with no network chatter."""

import os
import shutil

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or bool(shutil.which("chromium"))


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
