"""Several browsers on one app, without a browser (issue 30): whose files are whose, limits, one training at a
time with who is training, per-request warnings, and what a killed server left behind."""
from __future__ import annotations

import json
import threading
import warnings
import zipfile

import pytest

from lookgan.core.errors import ImageTooLargeError, InputError
from lookgan.ui.actions import Actions
from lookgan.ui.capture import collect_warnings
from lookgan.ui.jobs import wait_until
from lookgan.ui.sessions import Limits, owner_key, start_record
from lookgan.ui.workspace import Workspace
from tests.conftest import TINY_DCGAN
from tests.helpers import warm_grade, write_bomb_png, write_colour_case, write_image_folder

A, B = owner_key("token-of-browser-a-0123456789"), owner_key("token-of-browser-b-0123456789")


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    from lookgan import train

    root = tmp_path_factory.mktemp("sessions")
    case = write_colour_case(root / "case", warm_grade, n=6, n_held=4)
    train("ot", case / "style", photos=case / "content", out=root / "warm.look")
    return root


@pytest.fixture
def ws(tmp_path, case) -> Workspace:
    import shutil

    ws = Workspace(tmp_path / "work")
    shutil.copytree(case / "warm.look", ws.looks / "warm.look")
    return ws


def test_owner_keys_are_folder_names_that_do_not_give_the_token_away():
    assert A != B and A.startswith("b-") and "token" not in A
    assert owner_key(None, "session-1") == owner_key("", "session-1") != owner_key(None, "session-2")
    assert owner_key(None, None) == "local"


def test_each_browser_sees_and_deletes_only_its_own_results(ws, case):
    actions = Actions(ws)
    held = sorted((case / "case" / "held").iterdir())
    ra = actions.apply("warm", held[:2], owner=A)
    rb = actions.apply("warm", held[2:], owner=B)
    assert all(ws.session_folder(A) in p.parents for p in [*ra.outputs, ra.download])
    assert all(ws.session_folder(B) in p.parents for p in [*rb.outputs, rb.download])
    text_a, files_a = actions.results(A)
    text_b, files_b = actions.results(B)
    assert files_a == [ra.download] and files_b == [rb.download]
    with zipfile.ZipFile(files_a[0]) as zf:
        assert sorted(zf.namelist()) == sorted(p.name for p in held[:2])
    assert "apply" in text_a and "warm" in text_a
    assert actions.delete_results(A).startswith("deleted 1")
    assert actions.results(A)[1] == [] and actions.results(B)[1] == [rb.download]


def test_limits_are_messages_before_any_work(ws, case, tmp_path):
    held = sorted((case / "case" / "held").iterdir())
    actions = Actions(ws, limits=Limits(max_files=2, max_session_mb=0.001))
    with pytest.raises(InputError, match=r"4 photos in one go is more than this server takes \(2\)"):
        actions.apply("warm", held)
    with pytest.raises(InputError, match="add up to .* more than one request may send"):
        Actions(ws, limits=Limits(max_request_mb=0.001)).apply("warm", held[:1])
    actions.apply("warm", held[:1], owner=A)  # under the limit before this request
    with pytest.raises(InputError, match="your results on this server take .*Delete my results"):
        actions.apply("warm", held[:1], owner=A)
    bomb = tmp_path / "huge.png"
    write_bomb_png(bomb, 30000, 30000)
    with pytest.raises(ImageTooLargeError, match="huge.png"):  # from its header: nothing decoded
        Actions(ws).apply("warm", [bomb])
    assert not list(ws.session_folder("local").glob("*/results/*"))


def test_one_training_at_a_time_says_who_and_only_its_owner_stops_it(ws, tmp_path):
    actions = Actions(ws)
    style = sorted(write_image_folder(tmp_path / "faces", 8).glob("*.jpg"))

    def tiny(kind, style_dir, **kw):
        from lookgan import train

        return train(kind, style_dir, config=TINY_DCGAN, **kw)

    job = actions.start_training(kind="dcgan", name="faces", style_files=style, steps=400, train_fn=tiny, owner=A)
    assert wait_until(lambda: job.snapshot().step >= 2, 60)
    with pytest.raises(InputError, match=r"one training at a time: faces \(dcgan\) is still training for "
                                         r"someone else on this server since \d\d:\d\d"):
        actions.start_training(kind="dcgan", name="other", style_files=style, steps=5, train_fn=tiny, owner=B)
    assert not (ws.looks / "other.look").exists() and not ws.session_folder(B).exists()  # nothing staged
    assert "by someone else" in actions.training_status(B) and "by someone else" not in actions.training_status(A)
    with pytest.raises(InputError, match="only the browser that started it can stop it"):
        actions.stop_training(B)
    assert actions.stop_training(A).startswith("stopping") and job.wait(60)
    record = json.loads((ws.root / "jobs" / "faces.json").read_text())
    assert record["status"] == "stopped" and record["owner"] == A and record["step"] == job.snapshot().step


def test_warnings_go_to_the_request_that_raised_them():
    seen: dict[str, list[str]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def request(name: str) -> None:
        with collect_warnings(seen[name].append):
            barrier.wait()
            for i in range(50):
                warnings.warn(f"{name} {i}", stacklevel=1)
            barrier.wait()

    threads = [threading.Thread(target=request, args=(n,)) for n in seen]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {n: [f"{n} {i}" for i in range(50)] for n in seen}  # each its own, every one, no other's


def test_a_killed_server_leaves_finished_files_listed_and_training_resumable(ws, tmp_path):
    # What a server killed mid-apply and mid-training leaves: a request record still "running" with two
    # finished outputs and a half-written temporary; a job record still "running" with a checkpoint.
    run = ws.new_run("apply-warm", A)
    start_record(run, "apply", look="warm", files=5)
    (run / "results").mkdir()
    for name in ("a.jpg", "b.jpg"):
        (run / "results" / name).write_bytes(b"whole")
    (run / "results" / ".c.jpg.1234.tmp").write_bytes(b"half")
    from lookgan import train

    style = write_image_folder(tmp_path / "faces", 8)
    train("dcgan", style, out=ws.looks / "cut.look", steps=3, config=TINY_DCGAN)
    (ws.root / "jobs").mkdir()
    (ws.root / "jobs" / "cut.json").write_text(json.dumps(
        {"style": str(style), "photos": None, "kind": "dcgan", "steps": 6, "minutes": 0, "size": 0, "owner": A,
         "status": "running", "started": "2026-12-06 09:00:00"}))

    actions = Actions(ws)  # the server starting again
    assert actions.interrupted == {"requests": 1, "trainings": ["cut"]}
    text, files = actions.results(A)
    assert "interrupted" not in text or "2 of 5 files had finished" in text
    with zipfile.ZipFile(files[0]) as zf:
        assert sorted(zf.namelist()) == ["a.jpg", "b.jpg"]  # finished ones only
    assert "The server stopped while **cut**" in actions.training_status(A) and "step 3" in actions.training_status(A)

    def tiny(kind, style_dir, **kw):
        return train(kind, style_dir, config=TINY_DCGAN, **kw)

    job = actions.resume_interrupted(owner=B, train_fn=tiny)
    assert job.wait(60) and job.snapshot().status == "done" and job.snapshot().step == 6
    assert actions.interrupted_job() is None
    with pytest.raises(InputError, match="no training was cut off"):
        actions.resume_interrupted()


def test_stage_upload_on_a_full_disk_is_a_disk_message(tmp_path, monkeypatch):
    """The app's own copy of an upload meets ENOSPC: the page gets "disk full at", not a traceback."""
    import errno
    import shutil as shutil_module

    from lookgan.ui import workspace as workspace_module

    def full(src, dst, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(workspace_module.shutil, "copyfile", full)
    gradio = pytest.importorskip("gradio")
    from lookgan.ui.messages import friendly

    files = sorted(write_image_folder(tmp_path / "s", 3).glob("*"))
    handler = friendly((tmp_path,))(lambda: workspace_module.stage_images(files, tmp_path / "staged", what="x"))
    with pytest.raises(gradio.Error) as caught:
        handler()
    assert "disk full at" in str(caught.value) and "Tell the person who runs it" in str(caught.value)
    assert shutil_module.copyfile is full
