"""The web app served for real (`python -m lookgan ui`) and driven in headless Debian Chromium with Playwright.

One server per module: a tiny colour look is learnt from uploaded images, applied to a photo and downloaded,
then generated from, exported and evaluated; bad uploads show errors while the server keeps serving; only files
in the work folder are served; the page makes no request to any other host. Screenshots of each tab go to
``$LOOKGAN_SCREENSHOTS`` (docs/img/ when refreshing the README's pictures), else to a temporary folder.

`make test` sets LOOKGAN_REQUIRE_BROWSER=1 (and installs Debian's chromium), so a missing browser fails there
instead of skipping.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from lookgan.ui.workspace import zip_look
from tests.conftest import TINY_DCGAN
from tests.helpers import (
    BUSY_PRESET,
    warm_grade,
    write_bomb_png,
    write_colour_case,
    write_image_folder,
    write_preset_look,
)

CHROMIUM = Path(os.environ.get("LOOKGAN_CHROMIUM", "/usr/bin/chromium"))
# The flags that keep Chromium from calling Google's services at start (refused on a closed network).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-default-apps",
                 "--disable-features=MediaRouter,OptimizationHints"]


#: Loaded into the server process: records the address of every socket connect() it makes (and dumps its
#: threads on SIGUSR1).
SOCKET_WATCH = """
import faulthandler, os, signal, socket
faulthandler.register(signal.SIGUSR1, all_threads=True)  # the test asks a server that will not stop where it is
_log = os.environ.get("LOOKGAN_CONNECTIONS_LOG")
if _log:
    _connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex

    def _record(address):
        host = address[0] if isinstance(address, tuple) else "unix"
        with open(_log, "a") as f:
            f.write(f"{host}\\n")

    def connect(self, address):
        _record(address)
        return _connect(self, address)

    def connect_ex(self, address):
        _record(address)
        return _connect_ex(self, address)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
"""


def _require_browser() -> None:
    missing = []
    for module in ("gradio", "playwright"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"the Python package {module} (pip install -e '.[ui,uitest]')")
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if os.environ.get("LOOKGAN_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _require_browser()
    from lookgan import api

    root = tmp_path_factory.mktemp("ui")
    case = write_colour_case(root / "case", warm_grade, n=6, n_held=3, size=64)
    work = root / "work"
    # A generator look already in the looks folder, for the Generate tab.
    api.train("dcgan", write_image_folder(root / "faces", 8), out=work / "looks" / "faces.look", steps=60,
              config=TINY_DCGAN)
    # A preset look (dark corners, no grain) for the settings sliders.
    write_preset_look(work / "looks" / "vignette.look",
                      {**BUSY_PRESET, "grain.shadows": 0, "grain.midtones": 0, "grain.highlights": 0})
    secret = root / "secret.txt"
    secret.write_text("not for browsers")
    port = _free_port()
    log = open(root / "server.log", "w")
    # Every connection the server process opens is recorded (sitecustomize runs before lookgan starts).
    hooks = root / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SOCKET_WATCH)
    connections = root / "connections.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hooks), os.environ.get("PYTHONPATH", "")]),
           "LOOKGAN_CONNECTIONS_LOG": str(connections), "PYTHONUNBUFFERED": "1"}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "lookgan", "ui", "--workdir", str(work), "--port", str(port),
                             "--max-upload-mb", "5", "--max-photos", "8"], stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    while _get_quietly(url) != 200:
        if proc.poll() is not None or time.monotonic() - started > 90:
            proc.kill()
            pytest.fail(f"lookgan ui did not start: {(root / 'server.log').read_text()[-2000:]}")
        time.sleep(0.2)
    shots = Path(os.environ.get("LOOKGAN_SCREENSHOTS") or root / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    yield SimpleNamespace(url=url, work=work, case=case, secret=secret, proc=proc, shots=shots,
                          log=root / "server.log", start_s=time.monotonic() - started, connections=connections)
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)  # every Python thread's stack into the log, then stop it
        time.sleep(2)
        proc.kill()
        log.close()
        pytest.fail(f"lookgan ui did not stop within 60 s of Ctrl-C: {(root / 'server.log').read_text()[-6000:]}")
    log.close()
    # Ctrl-C stops it (status 0; 1 when the exit guard had to end a process that a library kept alive: said in
    # the test summary with the threads' stacks) and the temporary uploads go with it; looks stay.
    text = (root / "server.log").read_text()
    assert proc.returncode in (0, 1) and "lookgan ui: stopped" in text, text[-6000:]
    if proc.returncode == 1:
        warnings.warn(f"lookgan ui needed its exit guard to end after Ctrl-C: {text[-6000:]}", stacklevel=1)
    assert not (work / "uploads").exists() or not any((work / "uploads").iterdir())
    assert (work / "looks" / "warm.look" / "look.json").exists()
    # No outbound connection during the whole browser session: only loopback addresses were connected to.
    made = connections.read_text().splitlines() if connections.exists() else []
    assert made, "the socket watch recorded nothing (it should see the server's own startup check)"
    outside = [line for line in made if not line.startswith(("127.", "::1", "localhost", "unix"))]
    assert not outside, outside


def _get_quietly(url: str) -> int | None:
    try:
        return _get(url)
    except OSError:
        return None


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server.url)
    page.wait_for_selector("#train-start")
    yield page
    context.close()
    # Everything the page loaded came from our server: no fonts, analytics or CDNs elsewhere.
    outside = sorted({u for u in requests if not u.startswith((server.url, "data:", "blob:"))})
    assert not outside, outside


# --- helpers -------------------------------------------------------------------------------------------------
def upload(page, elem: str, files: list[Path]) -> None:
    page.set_input_files(f"#{elem} input[type=file]", [str(f) for f in files])
    page.wait_for_function(f"document.querySelectorAll('#{elem} tr.file').length >= {len(files)}")


def fill(page, elem: str, value: str) -> None:
    page.locator(f"#{elem} input, #{elem} textarea").first.fill(value)


def choose(page, elem: str, option: str) -> None:
    """Pick ``option`` in a dropdown, again if a late update (a tab refreshing its look list) replaced it."""
    for attempt in range(3):
        page.click(f"#{elem} input")
        page.get_by_role("option", name=option, exact=True).click()
        try:
            page.wait_for_timeout(500)
            page.wait_for_function(f"document.querySelector('#{elem} input').value === {option!r}", timeout=5000)
            return
        except Exception:
            if attempt == 2:
                raise


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def wait_text(page, selector: str, text: str, timeout_s: float = 120) -> str:
    page.wait_for_function(f"(document.querySelector({selector!r})?.innerText || '').includes({text!r})",
                           timeout=timeout_s * 1000)
    return page.inner_text(selector)


def download(page, elem: str, dest: Path) -> Path:
    page.wait_for_selector(f"#{elem} a[download]")
    with page.expect_download() as info:
        page.click(f"#{elem} a[download]")
    info.value.save_as(dest)
    return dest


def images_loaded(page, selector: str) -> None:
    page.wait_for_function(f"Array.from(document.querySelectorAll({selector!r}))"
                           ".every(i => i.complete && i.naturalWidth > 0)")


def screenshot(page, server, name: str, images: str = "") -> None:
    """A full-page screenshot of the current tab once its pictures (``images``, a CSS selector) have loaded."""
    for selector in filter(None, (part.strip() for part in images.split(","))):
        page.wait_for_selector(selector)
    if images:
        images_loaded(page, images)
    page.screenshot(path=server.shots / f"{name}.png", full_page=True)


def error_shown(page, text: str) -> str:
    """Wait for an error toast that says ``text``; returns all the toasts' text."""
    page.locator(".toast-body.error", has_text=text).first.wait_for(state="visible", timeout=30_000)
    return page.inner_text(".toast-wrap")


def apply_refused(page, files: list[Path], message: str) -> str:
    """On a fresh page: apply the warm look to ``files``, and wait for the error that says ``message``."""
    page.reload()
    page.wait_for_selector("#train-start")
    open_tab(page, "Apply")
    choose(page, "apply-look", "warm")
    upload(page, "apply-files", files)
    page.click("#apply-run")
    return error_shown(page, message)


# --- tests ---------------------------------------------------------------------------------------------------
def test_learn_apply_generate_export_evaluate(page, server, tmp_path):
    case = server.case
    # Learn: upload images in the look and my photos, learn the look, watch it finish (lut's default is the gated
    # start, fitted in one go: no steps to count).
    upload(page, "style-files", sorted((case / "style").iterdir()))
    upload(page, "photo-files", sorted((case / "content").iterdir()))
    fill(page, "look-name", "warm")
    fill(page, "steps", "8")
    # the kind's own options (what `lookgan train lut --help` lists) are fields here too, and reach its config
    page.locator("#kind-option-luts input").fill("2")
    page.locator("#kind-option-luts input").press("Tab")
    assert page.locator("#kind-option-global").is_visible()
    page.wait_for_timeout(300)  # the value goes to the page's state before Start reads it
    page.click("#train-start")
    status = wait_text(page, "#train-status", "done")
    assert "fitted in one go" in status and "step 0" not in status
    assert json.loads((server.work / "looks" / "warm.look" / "look.json").read_text())["config"]["n_luts"] == 2
    screenshot(page, server, "ui-learn", "#train-sample img")

    # Apply: the new look on a photo it has not seen; download and check it moved the way the grade does.
    open_tab(page, "Apply")
    choose(page, "apply-look", "warm")
    held = sorted((case / "held").iterdir())[0]
    upload(page, "apply-files", [held])
    page.click("#apply-run")
    wait_text(page, "#apply-status", "applied")
    got = np.asarray(Image.open(download(page, "apply-download", tmp_path / "out.png")).convert("RGB"), float)
    before = np.asarray(Image.open(held).convert("RGB"), float)
    truth = np.asarray(Image.open(case / "truth" / held.name).convert("RGB"), float)
    assert got.shape == before.shape
    assert got[..., 0].mean() > before[..., 0].mean() + 5 and got[..., 2].mean() < before[..., 2].mean() - 5
    assert np.abs(got - truth).mean() < 0.85 * np.abs(before - truth).mean()  # closer to the true grade
    screenshot(page, server, "ui-apply", "#apply-compare img, #apply-gallery img")
    # A look shared as a zip: uploaded, unpacked into the work folder and selected.
    zipped = zip_look(server.work / "looks" / "warm.look", tmp_path / "warm.look.zip")
    page.set_input_files("#look-zip input[type=file]", [str(zipped)])
    page.wait_for_function("document.querySelector('#apply-look input').value === 'warm-2'")
    assert (server.work / "looks" / "warm-2.look" / "look.json").exists()

    # Portrait mode on a real portrait: the look on the background only, skin protected; the masks are shown.
    from lookgan.use.demos import demo_images_dir

    page.get_by_text("Portraits: person, background and skin").click()
    page.locator("#portrait-on input[type=checkbox]").check()
    page.locator("#person-strength input[type=number]").fill("0")
    page.locator("#protect-skin input[type=number]").fill("1")
    page.locator("#protect-skin input[type=number]").press("Enter")
    page.locator("#apply-files button[aria-label='Clear']").first.click() if page.locator(
        "#apply-files button[aria-label='Clear']").count() else None
    upload(page, "apply-files", sorted(demo_images_dir().glob("*.jpg"))[:1])
    page.click("#apply-run")
    screenshot(page, server, "ui-portrait", "#apply-mask img, #apply-compare img")

    # Generate from the DCGAN look in the folder.
    open_tab(page, "Generate")
    choose(page, "gen-look", "faces")
    fill(page, "gen-frames", "6")
    page.click("#gen-run")
    page.wait_for_function("document.querySelectorAll('#gen-gallery img').length >= 4")
    page.wait_for_selector("#gen-download a[download]")
    screenshot(page, server, "ui-generate", "#gen-gallery img, #gen-anim img")

    # Export a .cube that an editor would open.
    open_tab(page, "Export")
    choose(page, "export-look", "warm")
    page.click("#export-run")
    wait_text(page, "#export-status", "wrote")
    cube = download(page, "export-download", tmp_path / "warm.cube").read_text()
    assert "LUT_3D_SIZE 33" in cube
    screenshot(page, server, "ui-export")

    # My results: this browser's applies, exports, ..., still there after a reload (its token is kept in the
    # browser's local storage), each with its download.
    page.reload()
    page.wait_for_selector("#train-start")
    page.get_by_text("My results: what this browser made here").click()
    wait_text(page, "#results-table", "warm")
    table = page.inner_text("#results-table")
    assert "apply" in table and "export cube" in table and "generate" in table
    page.wait_for_selector("#results-files a[download]")

    # Evaluate on the held-out photos.
    open_tab(page, "Evaluate")
    choose(page, "eval-look", "warm")
    upload(page, "eval-photos", sorted((case / "held").iterdir()))
    page.click("#eval-run")
    table = wait_text(page, "#eval-table", "colour distance", timeout_s=180)
    assert "structure kept" in table or "SWD" in table
    page.wait_for_selector("#eval-download a[download]")
    screenshot(page, server, "ui-evaluate", "#eval-gallery img")


def _corners_over_centre(img: np.ndarray) -> float:
    f = img.astype(float).mean(2)
    h, w = f.shape
    corners = np.mean([f[:6, :6].mean(), f[:6, -6:].mean(), f[-6:, :6].mean(), f[-6:, -6:].mean()])
    return float(corners / f[h // 2 - 6:h // 2 + 6, w // 2 - 6:w // 2 + 6].mean())


def set_slider(page, elem: str, value: float) -> None:
    """Type ``value`` into a slider's number box."""
    box = page.locator(f"#{elem} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def test_preset_sliders_preview_apply_and_save(page, server, tmp_path):
    from lookgan.kinds.look import look_settings

    open_tab(page, "Apply")
    choose(page, "apply-look", "vignette")
    page.wait_for_selector("#setting-vignette-amount")  # the editor's controls, the learnt ones folded away
    assert page.locator("[id^=setting-film_grain-]").count() == 3
    assert not page.locator("#setting-overlay-opacity_out").is_visible()
    before = look_settings(server.work / "looks" / "vignette.look")["vignette.amount"][0]
    photo = tmp_path / "flat.png"
    Image.fromarray(np.full((576, 768, 3), 150, np.uint8)).save(photo)  # its preview: 512 px wide
    upload(page, "apply-files", [photo])
    page.click("#apply-run")
    wait_text(page, "#apply-status", "applied")
    dark = np.asarray(Image.open(download(page, "apply-download", tmp_path / "dark.png")).convert("RGB"))
    assert _corners_over_centre(dark) < 0.85  # the learnt vignette

    # Moving sliders shows the result on the photo at once (before | after), without pressing Apply.
    shown = "Array.from(document.querySelectorAll('#apply-compare img')).map(i => i.src).join(' ')"
    set_slider(page, "setting-vignette-feather", 120)
    page.wait_for_function(f"{shown}.includes('preview-after-')")
    latency = []
    for amount in (-20, -10, 0):  # from the number typed to the new picture shown
        first = page.evaluate(shown)
        started = time.perf_counter()
        set_slider(page, "setting-vignette-amount", amount)
        page.wait_for_function(f"{shown}.includes('preview-after-') && {shown} !== {first!r}")
        latency.append(1000 * (time.perf_counter() - started))
    print(f"512-px preview after a slider moved: {', '.join(f'{t:.0f}' for t in latency)} ms")  # reported, not held
    screenshot(page, server, "ui-adjust", "#apply-compare img")
    page.click("#apply-run")
    page.wait_for_function("document.querySelector('#apply-status').innerText.includes('applied')")
    page.wait_for_timeout(300)
    plain = np.asarray(Image.open(download(page, "apply-download", tmp_path / "plain.png")).convert("RGB"))
    assert _corners_over_centre(plain) == pytest.approx(1.0, abs=0.03)  # vignette amount 0: an even grade

    # Saved as a new look, selected, the original untouched; the learnt parameters behind "Advanced".
    fill(page, "adjust-name", "vignette-off")
    page.click("#adjust-save")
    page.wait_for_function("document.querySelector('#apply-look input').value === 'vignette-off'")
    saved = look_settings(server.work / "looks" / "vignette-off.look")
    assert saved["vignette.amount"][0] == pytest.approx(0.0, abs=0.5)
    assert saved["vignette.feather"][0] == pytest.approx(120.0, abs=0.5)
    assert look_settings(server.work / "looks" / "vignette.look")["vignette.amount"][0] == pytest.approx(before)
    # The new look's sliders are drawn again once the look list has switched to it: open the fold that
    # stays, not the one that goes (click again if a redraw closed it under the click).
    for attempt in range(3):
        page.click("#settings-advanced")
        try:
            page.wait_for_selector("#setting-overlay-opacity_out", state="visible", timeout=10_000)
            break
        except Exception:
            if attempt == 2:
                raise
    assert page.locator("[id^=setting-grain-]").count() == 5
    # A colour look has no sliders, and says so.
    choose(page, "apply-look", "warm")
    page.wait_for_selector("#settings-none")


def test_bad_uploads_show_errors_and_server_keeps_serving(page, server, tmp_path):
    open_tab(page, "Apply")
    big = tmp_path / "huge.png"
    big.write_bytes(os.urandom(6 * 1024 * 1024))  # over the 5 MB limit the server was started with
    page.set_input_files("#apply-files input[type=file]", [str(big)])
    error_shown(page, 'exceed the maximum allowed size of 5.0 Mb: "huge.png"')
    assert not list(server.work.joinpath("uploads").rglob("huge.png"))
    page.screenshot(path=server.shots / "ui-error-size.png")

    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    text = apply_refused(page, [notes], "notes.txt: not an image lookgan reads")
    assert "Traceback" not in text and str(server.work) not in text  # no stack trace, no server paths
    page.wait_for_timeout(500)  # let the toast finish sliding in
    page.screenshot(path=server.shots / "ui-error.png")

    # Limits a shared machine needs, each a message in the page: a photo's dimensions (read from its header,
    # nothing decoded) and the photos in one request (the server was started with --max-photos 8).
    bomb = tmp_path / "bomb.png"
    write_bomb_png(bomb, 30000, 30000)
    apply_refused(page, [bomb], "bomb.png: 30000x30000 = 900 megapixels is over the limit")
    held = sorted((server.case / "held").iterdir())
    many = [tmp_path / f"copy{i}{held[0].suffix}" for i in range(9)]
    for p in many:
        p.write_bytes(held[0].read_bytes())
    apply_refused(page, many, "9 photos in one go is more than this server takes (8)")

    # A training start with nothing uploaded says what is missing.
    open_tab(page, "Learn")
    fill(page, "look-name", "empty")
    page.click("#train-start")
    error_shown(page, "add the images in the look you want to learn")
    assert _get(server.url) == 200 and server.proc.poll() is None


def test_server_refuses_oversized_uploads(server):
    """The limit holds for clients other than the page (which checks sizes itself before uploading)."""
    import http.client

    boundary = "lookganboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + os.urandom(6 * 1024 * 1024) + f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection(server.url.split("//")[1], timeout=30)
    conn.request("POST", "/gradio_api/upload", body=body,
                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    response = conn.getresponse()
    assert response.status == 413, (response.status, response.read()[:300])
    assert not list(server.work.joinpath("uploads").rglob("big.png"))


def test_only_files_in_the_work_folder_are_served(server):
    inside = next((server.work / "looks").rglob("*.png"))
    assert _get(f"{server.url}/gradio_api/file={inside}") == 200  # the control: our own files are served
    secret = server.secret
    probes = [f"/gradio_api/file={secret}", "/gradio_api/file=/etc/passwd",
              f"/gradio_api/file={server.work}/../{secret.name}", "/gradio_api/file=../../../../etc/passwd",
              f"/gradio_api/file={server.work}/%2e%2e/{secret.name}", "/gradio_api/file=%2fetc%2fpasswd",
              "/file=/etc/passwd", f"/gradio_api/file={server.work}/looks/../../{secret.name}"]
    for probe in probes:
        code = _get(server.url + probe)
        assert code in (403, 404), (probe, code)
