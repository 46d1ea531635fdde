"""How the README's console screenshots were made: `./dev demo`, then this script on its store.

    python docs/img/capture.py [build/demo]

It starts `govern serve` on the demo's store and pack copy (anonymous, loopback, a free port),
opens the inventory and the newest production decision in Debian's chromium (Playwright with
``executable_path``; no browser download) and writes docs/img/console-*.png.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from govern.server.command import build
    from govern.server.settings import ConsoleSettings

    demo = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build" / "demo")
    app = build(ConsoleSettings(database=f"sqlite:///{demo / 'govern.db'}", policies=[demo / "eu-ai-act"],
                                allow_anonymous=True).check())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        items = app.state.console.inventory(__import__("datetime").date.today(), 30)
        evaluation = max(i.evaluation_id for i in items)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 800}, base_url=f"http://127.0.0.1:{port}")
            page.goto("/inventory?days=400")
            page.screenshot(path=str(ROOT / "docs" / "img" / "console-inventory.png"))
            page.set_viewport_size({"width": 1280, "height": 1000})
            page.goto(f"/decisions/{evaluation}")
            page.screenshot(path=str(ROOT / "docs" / "img" / "console-decision.png"))
            browser.close()
    finally:
        server.should_exit = True
        thread.join()


if __name__ == "__main__":
    main()
