"""The web app's behaviour without a browser: work-folder sandbox, look zips, uploads, background training
(stop, resume, failures), and each tab's action over the library."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lookgan.core.catalogue import catalogue, describe, kinds_help
from lookgan.core.errors import InputError, LookFormatError, UnreadableImageError
from lookgan.ui import is_loopback, parse_auth
from lookgan.ui.actions import Actions
from lookgan.ui.jobs import JobBoard, TrainingJob, wait_until
from lookgan.ui.workspace import LOOK_JSON, Workspace, safe_name, stage_images, zip_folder
from tests.conftest import TINY_DCGAN
from tests.helpers import BUSY_PRESET, warm_grade, write_colour_case, write_image_folder, write_preset_look


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path / "work")


@pytest.fixture
def actions(ws) -> Actions:
    return Actions(ws)


def _copy_look(src: Path, ws: Workspace, name: str) -> Path:
    dest = ws.looks / f"{name}.look"
    shutil.copytree(src, dest)
    return dest


# --- cheap start -------------------------------------------------------------------------------------------------
def test_cli_and_app_modules_import_without_torch():
    """`lookgan ui` serves before torch is loaded (torch is ~2 s of the start); the library still works."""
    code = ("import sys, lookgan, lookgan.cli, lookgan.ui, lookgan.ui.actions, lookgan.ui.workspace, "
            "lookgan.core.catalogue;"
            "assert 'torch' not in sys.modules, 'torch imported';"
            "from lookgan import train; assert 'torch' in sys.modules and callable(train)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_front_reaches_the_heavy_side_only_through_the_lazy_api():
    """One lazy boundary: the CLI, the web app's modules and the kinds' catalogue import only the torch-free
    layer (core, and the image checks of uploads); `lookgan.api` is loaded on first use, by the lazy stand-in.
    The kinds' descriptions come from the catalogue's cache, written here first (as any earlier run does)."""
    catalogue()
    code = ("import sys, lookgan.cli, lookgan.ui.actions, lookgan.ui.learn, lookgan.ui.workspace;"
            "from lookgan.core.catalogue import catalogue; catalogue();"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('lookgan'))))")
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    front = ("lookgan.core", "lookgan.cli", "lookgan.ui")
    heavy = [m for m in loaded if not m.startswith(front) and m not in ("lookgan", "lookgan.data",
                                                                         "lookgan.data.images")]
    assert heavy == [], f"the front imports {heavy}: reach them through lookgan.core.lazy.api"


def test_kind_table_matches_the_registry():
    from lookgan.core.registry import get_method, list_kinds

    infos = catalogue()
    assert {info.name for info in infos} == set(list_kinds())
    for info in infos:
        cls = get_method(info.name)
        assert info.needs_photos == cls.needs_photos and info.generates == cls.generates, info.name
        assert cls.learns and cls.time_here, f"{info.name}: describe the kind (learns, time_here)"
    assert all(info.name in kinds_help() for info in infos)


def test_look_json_name_matches_look_module():
    from lookgan.kinds import look

    assert LOOK_JSON == look.LOOK_JSON


# --- small pieces ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [("My Look", "My-Look"), ("../../etc", "etc"), ("a.look", "a"),
                                            ("", "look"), ("..", "look"), ("/abs/path", "abs-path"),
                                            ("x" * 100, "x" * 64), ("ok_name-2", "ok_name-2")])
def test_safe_name(text, expected):
    assert safe_name(text) == expected


def test_host_and_auth_parsing():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert parse_auth("me:secret:x") == ("me", "secret:x") and parse_auth(None) is None
    for bad in ("me", ":pw", "me:"):
        with pytest.raises(InputError, match="USER:PASSWORD"):
            parse_auth(bad)


def test_look_names_never_leave_the_work_folder(ws, trained_dcgan_look, tmp_path):
    _copy_look(trained_dcgan_look, ws, "faces")
    outside = tmp_path / "evil.look"
    shutil.copytree(trained_dcgan_look, outside)
    assert ws.list_looks() == ["faces"]
    assert ws.look_path("faces") == ws.looks / "faces.look"
    for name in ("../evil", str(outside), "../../evil", "faces/../../evil", "", None, "missing"):
        with pytest.raises(InputError):
            ws.look_path(name)
    assert ws.contains(ws.looks / "faces.look") and not ws.contains(outside)


def test_stage_images_names_the_bad_upload(tmp_path):
    good = write_image_folder(tmp_path / "in", 3)
    bad = tmp_path / "in" / "notes.txt"
    bad.write_text("hello")
    files = sorted(good.glob("*.jpg"))
    assert stage_images(files, tmp_path / "staged", what="style images") == 3
    assert len(list((tmp_path / "staged").iterdir())) == 3
    with pytest.raises(UnreadableImageError, match=r"^style images: notes.txt: not an image") as e:
        stage_images([*files, bad], tmp_path / "staged2", what="style images")
    assert str(tmp_path) not in str(e.value)
    with pytest.raises(InputError, match="at least 2"):
        stage_images(files[:1], tmp_path / "staged3", what="style images", min_images=2)


# --- look zips ---------------------------------------------------------------------------------------------------
def test_look_zip_round_trip(ws, trained_dcgan_look, tmp_path):
    src = tmp_path / "faces.look"
    shutil.copytree(trained_dcgan_look, src)
    zipped = zip_folder(src, tmp_path / "faces.look.zip")
    assert ws.import_look_zip(zipped) == "faces"
    assert ws.import_look_zip(zipped) == "faces-2"  # never overwrites
    from lookgan import load_look

    assert load_look(ws.look_path("faces-2")).kind == "dcgan"


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_hostile_or_broken_look_zips_are_refused(ws, trained_dcgan_look, tmp_path):
    json_bytes = (trained_dcgan_look / LOOK_JSON).read_bytes()
    cases = {
        "slip.zip": ({"x.look/look.json": json_bytes, "x.look/../../escape.txt": b"pwned"}, "outside the look"),
        "abs.zip": ({"/tmp/abs.txt": b"pwned", "look.json": json_bytes}, "outside the look"),
        "nojson.zip": ({"x.look/readme.txt": b"hi"}, "look.json is missing"),
        "loose.zip": ({"a/readme.txt": b"hi", "b/readme.txt": b"hi"}, "no look.json inside"),
    }
    for name, (members, message) in cases.items():
        with pytest.raises(InputError, match=message):
            ws.import_look_zip(_zip(tmp_path / name, members))
    not_zip = tmp_path / "fake.zip"
    not_zip.write_bytes(b"not a zip at all")
    with pytest.raises(InputError, match="not a zip"):
        ws.import_look_zip(not_zip)
    # A look whose weights are damaged: refused by the loader, and nothing is left in looks/.
    members = {f"bad.look/{p.name}": p.read_bytes() for p in trained_dcgan_look.iterdir() if p.is_file()}
    members["bad.look/weights.safetensors"] = b"\x80\x04pickle?"
    with pytest.raises(LookFormatError) as e:
        ws.import_look_zip(_zip(tmp_path / "bad.zip", members))
    assert str(ws.runs) not in str(e.value)
    assert ws.list_looks() == [] and not (tmp_path / "escape.txt").exists()
    assert not list(ws.runs.glob("unzip-*"))


# --- background training -----------------------------------------------------------------------------------------
def test_training_job_progress_stop_and_resume(actions, tmp_path):
    style = sorted(write_image_folder(tmp_path / "faces", 8).glob("*.jpg"))

    def train_tiny(kind, style_dir, **kw):
        from lookgan import train

        return train(kind, style_dir, config=TINY_DCGAN, **kw)

    job = actions.start_training(kind="dcgan", name="faces", style_files=style, steps=400, train_fn=train_tiny)
    assert wait_until(lambda: job.snapshot().step >= 3, 60)
    with pytest.raises(InputError, match="still training"):  # one job at a time
        actions.start_training(kind="dcgan", name="other", style_files=style, steps=5, train_fn=train_tiny)
    assert "step" in actions.training_status()
    assert actions.stop_training().startswith("stopping")
    assert job.wait(60)
    snap = job.snapshot()
    assert snap.status == "stopped" and "checkpoint saved" in snap.message and 3 <= snap.step < 400
    assert snap.history and actions.loss_plot().exists()
    assert "faces" in actions.look_choices(generators=True) and "faces" not in actions.look_choices(generators=False)

    with pytest.raises(InputError, match="exists already"):
        actions.start_training(kind="dcgan", name="faces", style_files=style, steps=5, train_fn=train_tiny)
    # Resume needs no new upload: the staged images are remembered.
    job2 = actions.start_training(kind="dcgan", name="faces", steps=snap.step + 2, resume=True, train_fn=train_tiny)
    assert job2.wait(60)
    assert job2.snapshot().status == "done" and job2.snapshot().step == snap.step + 2


def test_a_kinds_own_options_set_on_the_page_reach_its_config_and_its_resume(actions, tmp_path):
    """The Learn tab's fields for the kind's own options (`lut`: --global, --luts) become the kind's config
    values, as on the command line; the job record keeps them for "Resume interrupted training"."""
    style = sorted(write_image_folder(tmp_path / "s", 3).glob("*"))
    photos = sorted(write_image_folder(tmp_path / "p", 3).glob("*"))
    calls = []

    def record(kind, style_dir, **kw):
        calls.append(kw.get("method_options"))
        return None

    job = actions.start_training(kind="lut", name="g", style_files=style, photo_files=photos,
                                 options={"global": True}, train_fn=record)
    assert job.wait(10) and calls == [{"adaptive": False, "n_luts": 1}]
    assert json.loads((actions.ws.root / "jobs" / "g.json").read_text())["options"] == {"global": True}
    job = actions.start_training(kind="lut", name="h", style_files=style, photo_files=photos, options={"luts": 5},
                                 train_fn=record)
    assert job.wait(10) and calls[-1] == {"n_luts": 5}
    assert [o.flag for o in describe("lut").options if not o.reference_only] == ["--global", "--luts", "--gan"]


def test_training_failures_are_messages(actions, tmp_path):
    with pytest.raises(InputError, match="add some of your own photos"):
        actions.start_training(kind="lut", name="x", style_files=sorted(write_image_folder(tmp_path / "s", 3).glob("*")))
    with pytest.raises(InputError, match="unknown look kind"):
        actions.start_training(kind="nope", name="x")

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    job = actions.start_training(kind="dcgan", name="y", style_files=sorted((tmp_path / "s").glob("*")),
                                 train_fn=broken)
    assert job.wait(10)
    snap = job.snapshot()
    assert snap.status == "failed" and "ZeroDivisionError: boom" in snap.message and "server log" in snap.message


def test_job_board_allows_a_new_job_after_the_last_ended():
    board = JobBoard()

    def quick(progress_fn, abort_fn):
        return None

    first = board.submit(TrainingJob(quick, name="a", kind="dcgan", look=Path("a.look")))
    assert first.wait(10) and board.snapshot().status == "done"
    board.submit(TrainingJob(quick, name="b", kind="dcgan", look=Path("b.look")))
    assert board.current.wait(10) and board.snapshot().name == "b"


# --- apply, generate, export, evaluate ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def colour_look(tmp_path_factory):
    """An `ot` look (fitted in seconds) of a warm grade, and its case folders."""
    from lookgan import train

    root = tmp_path_factory.mktemp("colour")
    case = write_colour_case(root / "case", warm_grade, n=6, n_held=3)
    train("ot", case / "style", photos=case / "content", out=root / "warm.look")
    return root / "warm.look", case


def test_apply_generate_export_evaluate(actions, ws, colour_look, trained_dcgan_look):
    look, case = colour_look
    _copy_look(look, ws, "warm")
    _copy_look(trained_dcgan_look, ws, "faces")
    held = sorted((case / "held").iterdir())

    res = actions.apply("warm", held, strength=1.0)
    assert len(res.outputs) == 3 and res.download.suffix == ".zip" and res.compare is not None
    assert all(ws.contains(p) for p in [*res.outputs, res.download, *res.compare])
    with zipfile.ZipFile(res.download) as zf:
        assert sorted(zf.namelist()) == sorted(p.name for p in held)
    one = actions.apply("warm", held[:1], strength=0.5, keep_colour=True)
    assert one.download == one.outputs[0] and one.mask is None
    from lookgan.use.demos import demo_images_dir

    face = sorted(demo_images_dir().glob("*.jpg"))[:1]
    portrait = actions.apply("warm", face, portrait={"person_strength": 0.0, "background_strength": 1.0,
                                                     "protect_skin": 1.0})
    assert portrait.mask is not None and portrait.mask.exists() and ws.contains(portrait.mask)
    with pytest.raises(InputError, match="between 0 and 1"):
        actions.apply("warm", held, strength=2)
    with pytest.raises(InputError, match="upload the photos"):
        actions.apply("warm", [])

    gen = actions.generate("faces", n=4, seed=3, frames=4)
    assert len(gen.images) == 4 and gen.animation.suffix == ".gif" and gen.download.exists()
    with pytest.raises(InputError, match="restyles photos"):
        actions.generate("warm")

    cube, text = actions.export("warm", format="cube")
    assert cube.read_text().count("\n") > 33**3 and "wrote" in text
    hald, _ = actions.export("warm", format="hald")
    assert hald.suffix == ".png"
    onnx_file, _ = actions.export("faces", format="onnx")  # any kind, generators too
    assert onnx_file.suffix == ".onnx" and onnx_file.stat().st_size > 1000
    with pytest.raises(InputError, match="not offered"):
        actions.export("warm", format="exe")
    shared, _ = actions.export("faces", format="look")  # generator looks share as a zip, without checkpoints
    with zipfile.ZipFile(shared) as zf:
        assert "faces.look/look.json" in zf.namelist() and not any("checkpoints" in n for n in zf.namelist())
    assert actions.import_look(str(shared)) == "faces-2" and actions.generate("faces-2", n=1).images

    ev = actions.evaluate("warm", held)
    assert "colour distance" in ev.table and ev.report.exists() and ev.download.exists()
    assert ev.metrics["color_swd"] < ev.metrics["color_swd_before"]
    with pytest.raises(InputError, match="photos the look has not seen"):
        actions.evaluate("warm", None)


def test_preset_settings_preview_and_save(actions, ws, tmp_path):
    import numpy as np
    from PIL import Image

    write_preset_look(ws.looks / "vig.look", BUSY_PRESET)
    settings = actions.look_settings("vig")
    assert settings["grain.midtones"] == (pytest.approx(0.04, abs=1e-4), 0.0, 0.3)
    assert actions.look_settings(None) == {} and actions.look_settings("missing") == {}
    photo = tmp_path / "p.png"
    Image.fromarray(np.full((300, 700, 3), 128, np.uint8)).save(photo)
    assert actions.preview("vig", []) is None
    before, after = actions.preview("vig", [str(photo)], settings={"overlay.opacity_out": 0.0})
    assert Image.open(after).size == Image.open(before).size == (512, 219)  # small, same aspect
    with pytest.raises(InputError, match="move a slider"):
        actions.save_adjusted("vig", {}, "copy")
    assert actions.save_adjusted("vig", {"grain.midtones": 0.1}, "grainy") == "grainy"
    assert actions.look_settings("grainy")["grain.midtones"][0] == pytest.approx(0.1)
    assert actions.look_settings("vig")["grain.midtones"][0] == pytest.approx(0.04, abs=1e-4)
    with pytest.raises(InputError, match="exists already"):
        actions.save_adjusted("vig", {"grain.midtones": 0.2}, "grainy")
    out = actions.apply("vig", [str(photo)], settings={"grain.midtones": 0.0, "grain.shadows": 0.0,
                                                       "grain.highlights": 0.0})
    assert out.outputs and out.outputs[0].exists()
    path, text = actions.export("vig", format="ffmpeg")
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["vig.cube", "vig.ffmpeg"]
    assert "filter_complex_script" in text
    _, text = actions.export("vig", format="cube")
    assert "only the colour part" in text and "grain" in text
    path, _ = actions.export("vig", format="xmp")
    with zipfile.ZipFile(path) as z:
        assert "vig-preset.xmp" in z.namelist() and path.name == "vig-lightroom.zip"


def test_folders_by_path_only_when_local(ws, tmp_path):
    folder = write_image_folder(tmp_path / "feed", 3)
    remote = Actions(ws, allow_folders=False)
    with pytest.raises(InputError, match="does not read folders"):
        remote.start_training(kind="dcgan", name="x", style_dir=str(folder))
    local = Actions(ws)
    with pytest.raises(InputError, match="does not exist"):
        local.start_training(kind="dcgan", name="x", style_dir=str(tmp_path / "nope"))
    with pytest.raises(InputError, match="not both"):
        local.start_training(kind="dcgan", name="x", style_dir=str(folder), style_files=list(folder.iterdir()))


def test_messages_lose_server_paths(tmp_path):
    from lookgan.ui.messages import _plain

    root = tmp_path / "work"
    msg = f"{root}/uploads/abc123/photo.jpg: not a readable image; see {root}/runs/x/y.png, and /etc/other"
    assert _plain(msg, (root,)) == "photo.jpg: not a readable image; see y.png, and /etc/other"
