"""`lookgan ui` served for real, under several simulated users and killed with SIGKILL (issue 30).

Scenario 1: 8 users at once, each with its own connection, photos and look, one of them training: no errors,
every download holds exactly that user's photos graded with that user's look, nobody's results list shows
another's files, a second training is refused with who is training, memory stays bounded. Scenario 4: the
server killed during a training and during an apply, then started again on the same work folder: the page
says what happened, the training resumes from the page, finished outputs are listed and partial ones are not.
The default suite runs short versions; ``slow`` runs the load for 3 minutes.
"""
from __future__ import annotations

import json
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import warm_grade, write_colour_case, write_image_folder

pytest.importorskip("gradio_client")

from tests.ui.serving import apply_args, client, serve, simulate, user_photos  # noqa: E402


def _cool(img):
    """A cool grade: less red, lifted blue."""
    x = img.astype(np.float64) / 255.0
    out = np.stack([0.85 * x[..., 0], x[..., 1], 0.1 + 0.9 * x[..., 2]], -1)
    return (np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A work folder with two colour looks (a warm and a cool grade) and style images to train on."""
    from lookgan import train

    root = tmp_path_factory.mktemp("load")
    work = root / "work"
    for name, grade in (("warm", warm_grade), ("cool", _cool)):
        case = write_colour_case(root / name, grade, n=6, n_held=1, size=64)
        train("ot", case / "style", photos=case / "content", out=work / "looks" / f"{name}.look")
    style = sorted(write_image_folder(root / "faces", 8).glob("*.jpg"))
    return root, work, style


def _load(workdir, tmp_path, seconds: float, min_rounds: int) -> dict:
    root, work, style = workdir
    server = serve(work, "--max-queue", "64")
    try:
        looks = {n: work / "looks" / f"{n}.look" for n in ("warm", "cool")}
        report = simulate(server, looks, tmp_path, users=8, seconds=seconds, min_rounds=min_rounds,
                          train_style=style, train_steps=30)
    finally:
        code = server.stop()
    assert code in (0, 1), server.log.read_text()[-3000:]
    assert not report.errors, report.errors[:5]
    assert not report.wrong_downloads, report.wrong_downloads[:5]
    assert not report.results_leaks, report.results_leaks[:5]
    assert report.training_started
    assert "one training at a time: loadtest (dcgan) is still training for someone else" in report.training_refusal
    assert report.requests >= 8 * 2 * min_rounds and report.latencies_1photo_s
    assert report.peak_rss_mb < 4000, report.summary()
    assert report.most_in_line >= 2, report.summary()  # 8 users, 2 at a time: the others were told they wait
    print(report.summary())
    return report.summary()


def test_eight_users_at_once_get_their_own_results(workdir, tmp_path):
    _load(workdir, tmp_path, seconds=0, min_rounds=2)


@pytest.mark.slow
def test_eight_users_for_three_minutes(workdir, tmp_path):
    _load(workdir, tmp_path, seconds=180, min_rounds=2)


def _wait(predicate, timeout_s: float, what: str, poll_s: float = 0.1) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(poll_s)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill9_during_training_and_apply_then_start_again(workdir, tmp_path):
    root, work, style = workdir
    work = tmp_path / "work"
    import shutil

    shutil.copytree(workdir[1] / "looks", work / "looks")
    server = serve(work, "--checkpoint-minutes", "0.02")  # a checkpoint every ~1 s of training
    token = "a-browser-token-0123456789abcdef"
    c = client(server.url)
    c.predict([*map(_handle, style)], "", None, "", "dcgan", "killed", 100000, 0, 0, False, token,
              api_name="/on_start")
    look = work / "looks" / "killed.look"
    _wait(lambda: len(list((look / "checkpoints").glob("ckpt-*.json"))) >= 2, 120, "two checkpoints")
    # An apply of many photos, killed with the server half-way.
    n = 240  # enough that the kill lands in the middle however fast this machine grades
    photos = user_photos(tmp_path / "photos", 0, n)
    job = threading.Thread(target=lambda: _ignore(lambda: c.predict(*apply_args("warm", photos)[:-1], token,
                                                                     api_name="/on_apply")))
    job.start()
    results = lambda: list(work.glob("runs/*/*apply*/results/*.jpg"))  # noqa: E731
    _wait(lambda: len(results()) >= 3, 120, "some applied photos", poll_s=0.01)
    server.kill9()
    job.join(60)
    finished = len(results())
    assert 3 <= finished < n

    server = serve(work, "--checkpoint-minutes", "0.02")
    try:
        c = client(server.url)
        _, notice, table, files = c.predict(token, api_name="/on_load")
        assert "The server stopped while **killed** was training" in notice
        assert "The server stopped during 1 of your earlier request(s)" in notice
        assert f"{finished} of {n} files had finished" in table
        (download,) = files
        with zipfile.ZipFile(download if isinstance(download, str) else download["path"]) as zf:
            names = zf.namelist()
        assert len(names) == finished and all(n.startswith("user0-photo") for n in names)
        step_before = max(int(p.stem.split("-")[1]) for p in (look / "checkpoints").glob("ckpt-*.json"))
        status, _ = c.predict(token, api_name="/on_resume_cut")
        assert "killed" in status
        _wait(lambda: max(int(p.stem.split("-")[1]) for p in (look / "checkpoints").glob("ckpt-*.json"))
              > step_before, 120, "a checkpoint after the resume")
        c.predict(token, api_name="/on_stop")  # Stop (only the owner may; this browser started the resume)
        _wait(lambda: json.loads((work / "jobs" / "killed.json").read_text())["status"] == "stopped", 120,
              "the resumed training to stop")
        import lookgan

        assert lookgan.load_look(look).meta["steps"] > step_before
    finally:
        server.stop()


def _handle(path: Path):
    from gradio_client import handle_file

    return handle_file(str(path))


def _ignore(fn) -> None:
    try:
        fn()
    except Exception:  # noqa: BLE001 (the server is killed under it)
        pass


def test_a_full_queue_says_busy_and_the_server_keeps_serving(workdir, tmp_path):
    """More requests than ``--max-queue`` lets wait: the extra ones are told the queue is full (HTTP 503) at
    once, instead of piling up in memory; the rest finish, and the server answers afterwards."""
    _, work, _ = workdir
    server = serve(work, "--max-queue", "1")
    try:
        clients = [client(server.url) for _ in range(6)]
        photos = user_photos(tmp_path / "p", 0, 24)
        jobs = [c.submit(*apply_args("warm", photos), api_name="/on_apply") for c in clients]
        outcomes = []
        for job in jobs:
            try:
                job.result(timeout=300)
                outcomes.append("done")
            except Exception as e:  # noqa: BLE001 (what the client was told is the point)
                outcomes.append(str(e))
        busy = [o for o in outcomes if o != "done"]
        assert busy and all("Queue is full" in o for o in busy), outcomes
        assert outcomes.count("done") >= 2  # two run at once, one waits
        assert client(server.url).predict(*apply_args("warm", photos[:1]), api_name="/on_apply")[0].startswith(
            "applied **warm**")
    finally:
        server.stop()


def test_uploads_on_a_full_disk_are_refused_in_words_and_work_again(workdir, small_disk, tmp_path):
    """The work folder's disk fills: an upload gets 507 "the server's disk is full" (no half-stored file), the
    server keeps serving, and once there is room the same upload goes through."""
    import shutil

    import httpx
    from PIL import Image

    work = small_disk.root / "work"
    shutil.copytree(workdir[1] / "looks" / "warm.look", work / "looks" / "warm.look")
    server = serve(work)
    try:
        big = tmp_path / "big.png"
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (600, 800, 3), dtype=np.uint8)).save(big)
        small_disk.fill(leave=300_000)
        with open(big, "rb") as f:
            response = httpx.post(f"{server.url}/gradio_api/upload", files={"files": ("big.png", f, "image/png")},
                                  timeout=60)
        assert response.status_code == 507 and "the server's disk is full" in response.json()["detail"]
        assert not list((work / "uploads").rglob("big.png"))
        small_disk.empty()
        result = client(server.url).predict(*apply_args("warm", [big]), api_name="/on_apply")
        assert result[0].startswith("applied **warm** to 1 file")
    finally:
        server.stop()
