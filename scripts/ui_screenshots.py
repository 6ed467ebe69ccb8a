"""The README's web-app screenshots, taken from real looks learnt from the bundled photos (not the tests' noise
images): a film grade learnt in the Learn tab from the colour demo's photos, the preset demo's filter (gradient,
vignette, grain) in Apply with its sliders, Export and Evaluate, and a DCGAN on the bundled portraits in Generate.

    python scripts/ui_screenshots.py --out docs/img          # `make screenshots` runs it (about 6 minutes)

Needs the ui and uitest extras and Debian's chromium, like the browser tests (whose helpers it uses).
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lookgan import api  # noqa: E402
from lookgan.use.demos import build_case, demo_images_dir  # noqa: E402
from lookgan.use.demos.common import write_case  # noqa: E402
from lookgan.use.demos.preset import golden_filter  # noqa: E402
from tests.ui.test_browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    _free_port,
    _get_quietly,
    choose,
    fill,
    open_tab,
    screenshot,
    set_slider,
    upload,
    wait_text,
)


def prepare(root: Path, minutes: float) -> tuple[Path, Path, Path]:
    """The film case (uploaded in Learn), the preset case and a work folder holding a trained preset ("golden")
    and a DCGAN ("faces")."""
    film, golden, work = build_case(root / "film"), write_case(root / "golden", golden_filter), root / "work"
    print(f"training the preset look ({minutes:g} min) ...", flush=True)
    api.train("preset", golden / "style", photos=golden / "content", out=work / "looks" / "golden.look",
              minutes=minutes)
    print(f"training a DCGAN on the bundled portraits ({minutes:g} min) ...", flush=True)
    api.train("dcgan", demo_images_dir(), out=work / "looks" / "faces.look", minutes=minutes, steps=3000, size=64,
              batch=16, config={"method": {"ngf": 32, "ndf": 32, "augment": "translation,cutout"}})
    return film, golden, work


def drive(url: str, film: Path, golden: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    shots = type("Shots", (), {"shots": out})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(300_000)
        page.goto(url)
        page.wait_for_selector("#train-start")

        upload(page, "style-files", sorted((film / "style").iterdir()))
        upload(page, "photo-files", sorted((film / "content").iterdir()))
        fill(page, "look-name", "film")
        fill(page, "steps", "60")
        page.click("#train-start")
        wait_text(page, "#train-status", "done", timeout_s=600)
        screenshot(page, shots, "ui-learn", "#train-sample img, #train-loss img")

        open_tab(page, "Apply")
        choose(page, "apply-look", "golden")
        page.wait_for_selector("#setting-vignette-amount")
        upload(page, "apply-files", sorted((golden / "held").iterdir())[5:8])
        page.click("#apply-run")
        wait_text(page, "#apply-status", "applied")
        screenshot(page, shots, "ui-apply", "#apply-compare img, #apply-gallery img")
        set_slider(page, "setting-vignette-amount", 0)
        page.wait_for_function("Array.from(document.querySelectorAll('#apply-compare img'))"
                               ".some(i => i.src.includes('preview-after-'))")
        screenshot(page, shots, "ui-adjust", "#apply-compare img")

        open_tab(page, "Generate")
        choose(page, "gen-look", "faces")
        fill(page, "gen-frames", "12")
        page.click("#gen-run")
        page.wait_for_function("document.querySelectorAll('#gen-gallery img').length >= 8")
        screenshot(page, shots, "ui-generate", "#gen-gallery img, #gen-anim img")

        open_tab(page, "Export")
        choose(page, "export-look", "golden")
        page.locator("#export-format label", has_text="ffmpeg script").click()
        page.click("#export-run")
        wait_text(page, "#export-status", "wrote")
        screenshot(page, shots, "ui-export")

        open_tab(page, "Evaluate")
        choose(page, "eval-look", "golden")
        upload(page, "eval-photos", sorted((golden / "held").iterdir()))
        page.click("#eval-run")
        wait_text(page, "#eval-table", "colour distance", timeout_s=600)
        page.wait_for_selector("#eval-gallery img")  # the gallery loads its pictures lazily: wait for the first
        page.wait_for_timeout(3000)
        screenshot(page, shots, "ui-evaluate")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--minutes", type=float, default=1.5, help="training budget of each prepared look")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lookgan-shots-") as tmp:
        film, golden, work = prepare(Path(tmp), args.minutes)
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "lookgan", "ui", "--workdir", str(work), "--port",
                                   str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                  env={**os.environ})
        url = f"http://127.0.0.1:{port}"
        try:
            started = time.monotonic()
            while _get_quietly(url) != 200:
                if server.poll() is not None or time.monotonic() - started > 120:
                    raise SystemExit("lookgan ui did not start")
                time.sleep(0.3)
            drive(url, film, golden, args.out)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(60)
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
