"""The command line: exit codes, messages, and real processes stopped by signals."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from lookgan.cli import COMMANDS, app, main
from lookgan.training.checkpoint import list_checkpoints, load_latest_checkpoint
from tests.conftest import TINY_DCGAN
from tests.helpers import solid


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_commands_map_to_library_functions():
    import importlib

    assert set(app.commands) == set(COMMANDS)
    for name, target in COMMANDS.items():
        module, fn = target.split(":")
        assert callable(getattr(importlib.import_module(module), fn)), name


@pytest.mark.parametrize("cmd", ["", "train", "apply", "adjust", "export", "eval", "generate", "info", "demo", "ui"])
def test_help(capsys, cmd):
    code, text = run(capsys, *([cmd] if cmd else []), "--help")
    assert code == 0 and "Usage:" in text


def test_usage_errors_exit_2(capsys):
    assert run(capsys, "train", "dcgan")[0] == 2
    assert run(capsys, "frobnicate")[0] == 2
    assert run(capsys, "train", "dcgan", "x", "--out", "y", "--steps", "many")[0] == 2


def test_bad_inputs_exit_2_with_the_fix(capsys, tmp_path, style_dir):
    code, text = run(capsys, "train", "dcgan", str(tmp_path / "missing"), "--out", str(tmp_path / "o.look"))
    assert code == 2 and "missing does not exist" in text
    empty = tmp_path / "empty"
    empty.mkdir()
    code, text = run(capsys, "train", "dcgan", str(empty), "--out", str(tmp_path / "o.look"))
    assert code == 2 and "holds no images" in text
    few = tmp_path / "few"
    few.mkdir()
    solid((1, 2, 3)).save(few / "a.png")
    code, text = run(capsys, "train", "dcgan", str(few), "--out", str(tmp_path / "o.look"))
    assert code == 2 and "only 1 readable" in text and "Add more images" in text
    code, text = run(capsys, "train", "gan9000", str(style_dir), "--out", str(tmp_path / "o.look"))
    assert code == 2 and "choose one of: cut, cyclegan, dcgan" in text
    code, text = run(capsys, "train", "dcgan", str(style_dir), "--photos", str(style_dir), "--out", "o.look")
    assert code == 2 and "drop --photos" in text
    code, text = run(capsys, "train", "dcgan", str(style_dir), "--out", str(tmp_path / "o.look"), "--size", "48")
    assert code == 2 and "size must be one of" in text
    code, text = run(capsys, "info", str(tmp_path / "none.look"))
    assert code == 2 and "does not exist" in text
    (tmp_path / "notalook").mkdir()
    (tmp_path / "notalook" / "holiday.jpg").write_bytes(b"x")
    code, text = run(capsys, "train", "dcgan", str(style_dir), "--out", str(tmp_path / "notalook"))
    assert code == 2 and "not a look folder" in text
    assert (tmp_path / "notalook" / "holiday.jpg").exists()


def test_a_run_killed_before_its_first_checkpoint_json_resumes(capsys, tmp_path, style_dir):
    """SIGKILL between a checkpoint's tensor file and its JSON leaves checkpoints/ with no complete checkpoint
    (and no look.json): that folder is still ours to resume or to start in, not a stranger's folder."""
    out = tmp_path / "k.look"
    (out / "checkpoints").mkdir(parents=True)
    (out / "checkpoints" / "ckpt-00000002.safetensors").write_bytes(b"half")
    (out / "samples").mkdir()
    (out / ".look.json.x1y2.tmp").write_text("{")  # atomic_write's temporary, left by the kill
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(TINY_DCGAN))
    code, text = run(capsys, "train", "dcgan", str(style_dir), "--out", str(out), "--steps", "2", "--config",
                     str(config), "--resume")
    assert code == 0 and "finished at step 2" in text, text
    assert not list(out.rglob("*.tmp"))


def test_config_file_errors(capsys, tmp_path, style_dir):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: {stepz: 3}\n")
    code, text = run(capsys, "train", "dcgan", str(style_dir), "--out", str(tmp_path / "o.look"), "--config", str(bad))
    assert code == 2 and "stepz" in text
    bad.write_text("train: [1, 2\n")
    code, text = run(capsys, "train", "dcgan", str(style_dir), "--out", str(tmp_path / "o.look"), "--config", str(bad))
    assert code == 2 and "not valid YAML" in text


def test_train_generate_info_roundtrip(capsys, tmp_path, style_dir):
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(TINY_DCGAN))
    look = tmp_path / "x.look"
    code, text = run(capsys, "train", "dcgan", str(style_dir), "--out", str(look), "--steps", "3", "--config", str(cfg))
    assert code == 0 and "finished at step 3" in text and "loss.png" in text
    code, text = run(capsys, "train", "dcgan", str(style_dir), "--out", str(look), "--steps", "3", "--config", str(cfg))
    assert code == 2 and "--resume" in text and "--overwrite" in text
    code, text = run(capsys, "train", "dcgan", str(style_dir), "--out", str(look), "--steps", "5", "--resume")
    assert code == 0 and "finished at step 5" in text
    code, text = run(capsys, "generate", str(look), "-n", "4", "--out", str(tmp_path / "gen"), "--grid")
    assert code == 0 and (tmp_path / "gen" / "grid.png").exists() and len(list((tmp_path / "gen").iterdir())) == 5
    code, text = run(capsys, "generate", str(look), "-n", "0", "--out", str(tmp_path / "gen"))
    assert code == 2 and "-n must be at least 1" in text
    code, text = run(capsys, "info", str(look), "--json")
    assert code == 0 and json.loads(text)["steps"] == 5
    code, text = run(capsys, "info", str(look))
    assert code == 0 and "dcgan" in text and "12 images" in text
    code, text = run(capsys, "train", "dcgan", str(style_dir), "--out", str(tmp_path / "d.look"), "--dry-run")
    assert code == 0 and "12 readable" in text and not (tmp_path / "d.look").exists()


def _spawn(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "lookgan", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _wait_for_checkpoint(folder: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    t0 = time.monotonic()
    while not list_checkpoints(folder):
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() - t0 < timeout, "no checkpoint appeared"
        time.sleep(0.05)


def _slow_config(tmp_path: Path, every: int, sample_every: int = 0) -> Path:
    cfg = {"method": {"size": 32, "ngf": 16, "ndf": 16, "n_samples": 4},
           "train": {"batch": 8, "sample_every": sample_every, "checkpoint_every": every}}
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_ctrl_c_save_and_exit_cleanly(tmp_path, style_dir, sig):
    look = tmp_path / "s.look"
    cfg = _slow_config(tmp_path, 1000, sample_every=3)
    proc = _spawn(["train", "dcgan", str(style_dir), "--out", str(look), "--steps", "1000000", "--config", str(cfg)],
                  tmp_path)
    t0 = time.monotonic()
    while not (look / "samples").exists():  # the loop is running (and its signal handlers are in place)
        assert proc.poll() is None and time.monotonic() - t0 < 120, proc.communicate()[0]
        time.sleep(0.05)
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, out
    assert "interrupted at step" in out and "--resume" in out and "Traceback" not in out
    ckpt = load_latest_checkpoint(look / "checkpoints")
    assert ckpt is not None and ckpt.step >= 1
    assert (look / "look.json").exists()


def test_kill9_then_resume_finishes_with_step_count_intact(tmp_path, style_dir):
    look = tmp_path / "k.look"
    cfg = _slow_config(tmp_path, 7)
    proc = _spawn(["train", "dcgan", str(style_dir), "--out", str(look), "--steps", "1000000", "--config", str(cfg)],
                  tmp_path)
    _wait_for_checkpoint(look / "checkpoints", proc)
    time.sleep(0.3)  # land somewhere between checkpoints, maybe inside a write
    proc.kill()
    proc.communicate(timeout=60)
    survivor = load_latest_checkpoint(look / "checkpoints")
    assert survivor is not None and survivor.step % 7 == 0
    target = survivor.step + 10
    done = subprocess.run([sys.executable, "-m", "lookgan", "train", "dcgan", str(style_dir), "--out", str(look),
                           "--steps", str(target), "--resume"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"finished at step {target}" in done.stdout
    assert load_latest_checkpoint(look / "checkpoints").step == target
    assert not list((look / "checkpoints").glob(".*.tmp"))


def test_colour_look_workflow(capsys, tmp_path):
    """train (ot, fast) -> eval --json -> export cube/hald -> train lut --from-cube -> apply, all through main()."""
    from tests.helpers import warm_grade, write_colour_case

    case = write_colour_case(tmp_path / "case", warm_grade, n=6, n_held=3)
    look = tmp_path / "ot.look"
    code, text = run(capsys, "train", "ot", str(case / "style"), "--photos", str(case / "content"), "--out", str(look))
    assert code == 0 and "look:" in text
    code, text = run(capsys, "eval", str(look), "--photos", str(case / "held"), "--truth", str(case / "truth"),
                     "--json", str(tmp_path / "m.json"))
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert code == 0 and metrics["n_images"] == 3 and "ΔE2000" in text
    assert {"delta_e2000", "psnr", "per_image"} <= set(metrics)
    assert run(capsys, "export", str(look), "--out", str(tmp_path / "x.cube"), "--size", "17")[0] == 0
    assert "LUT_3D_SIZE 17" in (tmp_path / "x.cube").read_text()
    assert run(capsys, "export", str(look), "--format", "hald", "--out", str(tmp_path / "x.png"))[0] == 0
    code, _ = run(capsys, "train", "lut", "--from-cube", str(tmp_path / "x.cube"), "--out", str(tmp_path / "c.look"))
    assert code == 0
    code, text = run(capsys, "apply", str(tmp_path / "c.look"), str(case / "held"), "--out", str(tmp_path / "out"),
                     "--strength", "0.5", "--keep-colour")
    assert code == 0 and len(list((tmp_path / "out").iterdir())) == 3
    code, text = run(capsys, "info", str(tmp_path / "c.look"))
    assert code == 0 and "x.cube" in text


def test_colour_look_errors_exit_2(capsys, tmp_path):
    bad = tmp_path / "bad.cube"
    bad.write_text("LUT_3D_SIZE 3\n0 0 0\n")
    code, text = run(capsys, "train", "lut", "--from-cube", str(bad), "--out", str(tmp_path / "b.look"))
    assert code == 2 and "needs 27 table lines" in text
    code, text = run(capsys, "train", "lut", "--out", str(tmp_path / "b.look"))
    assert code == 2 and "STYLE_DIR" in text
    code, text = run(capsys, "export", str(tmp_path / "nothing.look"), "--out", str(tmp_path / "x.cube"))
    assert code == 2 and "does not exist" in text


def test_no_module_shadows_a_public_function():
    """Importing every submodule must leave ``lookgan.<name>`` the function (a module of the same name would
    replace it the moment it is first imported)."""
    import importlib
    import pkgutil

    import lookgan

    for info in pkgutil.walk_packages(lookgan.__path__, "lookgan."):
        if not info.name.endswith("__main__"):  # that one runs the CLI
            importlib.import_module(info.name)
    for name in lookgan.__all__:
        assert not isinstance(getattr(lookgan, name), type(lookgan)), name


def test_progress_bar_counts_to_the_step_the_time_budget_reaches():
    from lookgan.cli.common import TqdmProgress
    from lookgan.kinds.base import Progress

    bar = TqdmProgress()
    # 2000 steps asked, 7 steps/s, 60 s left: the run ends near step 10 + 420, and that is what the bar shows
    bar(Progress(step=10, total=2000, losses={}, steps_per_s=7.0, eta_s=60.0, elapsed_s=1.4))
    assert bar.bar.total == 430
    bar(Progress(step=11, total=2000, losses={}, steps_per_s=7.0, eta_s=None, elapsed_s=1.6))
    assert bar.bar.total == 430  # no estimate: leave it
    bar(Progress(step=1990, total=2000, losses={}, steps_per_s=7.0, eta_s=1.4, elapsed_s=284))
    assert bar.bar.total == 2000  # the step budget binds
    bar.close()
