"""Reliability and security checks that attack the program (docs/RELIABILITY.md lists each threat and its test).

The fuzzers are in test_fuzz.py; the web app's checks in tests/ui/test_browser.py; some older checks stay beside
the code they cover (named in docs/RELIABILITY.md).
"""
from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
import torch
import yaml
from PIL import Image
from safetensors.torch import load_file, save_file

import lookgan
from lookgan.core.errors import LookFormatError
from lookgan.training.checkpoint import list_checkpoints
from tests.conftest import TINY_DCGAN
from tests.helpers import warm_grade, write_colour_case, write_image_folder

REPO = Path(__file__).resolve().parents[2]


# --- 1. untrusted files ------------------------------------------------------------------------------------------
def test_no_unpickling_loader_anywhere():
    """Every torch.load passes weights_only=True; no pickle/marshal/shelve loads of files at all."""
    offenders = []
    for path in [*REPO.joinpath("src").rglob("*.py"), *REPO.joinpath("benchmarks").rglob("*.py"), REPO / "hubconf.py"]:
        text = path.read_text()
        for m in re.finditer(r"torch\.load\(([^)]*)\)", text):
            if "weights_only=True" not in m.group(1):
                offenders.append(f"{path}: {m.group(0)}")
        for m in re.finditer(r"\b(pickle|cPickle|marshal|shelve|dill|joblib)\.(load|loads|open)\(", text):
            offenders.append(f"{path}: {m.group(0)}")
    assert not offenders, offenders


def test_look_with_wrong_dtypes_is_refused(tmp_path, trained_dcgan_look):
    look = tmp_path / "x.look"
    shutil.copytree(trained_dcgan_look, look)
    tensors = load_file(look / "weights.safetensors")
    name = next(k for k, v in tensors.items() if v.is_floating_point())
    tensors[name] = tensors[name].to(torch.int32)
    save_file(tensors, str(look / "weights.safetensors"))
    meta = (look / "look.json").read_text()
    (look / "look.json").write_text(re.sub(r'"weights_sha256": "[0-9a-f]+"', '"weights_sha256": ""', meta))
    with pytest.raises(LookFormatError, match=rf"tensor {re.escape(name)} has dtype int32"):
        lookgan.load_look(look)


# --- 2. crashes lose nothing -------------------------------------------------------------------------------------
def _train_cmd(style: Path, out: Path, steps: int, config: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "lookgan", "train", "dcgan", str(style), "--out", str(out), "--steps", str(steps),
            "--config", str(config), *extra]


def test_kill9_at_random_moments_then_resume_reaches_the_step_count(tmp_path):
    """10 trials: SIGKILL after a random delay (before, during or between checkpoint writes; every other
    trial only once a checkpoint exists, however slow the machine), then --resume must continue from the
    newest complete checkpoint and finish exactly at the requested step."""
    style = write_image_folder(tmp_path / "style", 8)
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({**TINY_DCGAN, "train": {**TINY_DCGAN["train"], "checkpoint_every": 2,
                                                                "sample_every": 0}}))
    rng = random.Random(20261126)
    outcomes = []
    for trial in range(10):
        out = tmp_path / f"t{trial}.look"
        proc = subprocess.Popen(_train_cmd(style, out, 1_000_000, config), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        if trial % 2:  # once training runs: wait for its first checkpoint, then kill at a random moment after
            deadline = time.monotonic() + 120  # polled, not slept: a slow or busy machine still gets here
            while not list_checkpoints(out / "checkpoints") and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 1.0))
        else:  # import takes ~1.5 s: these kills land before, at or soon after the first checkpoint
            time.sleep(rng.uniform(1.5, 4.0))
        proc.kill()
        proc.wait(30)
        before = max((s for s, _ in list_checkpoints(out / "checkpoints")), default=0)
        target = before + 5
        r = subprocess.run(_train_cmd(style, out, target, config, "--resume"), capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr[-2000:]
        assert f"finished at step {target}" in r.stdout
        assert lookgan.load_look(out).meta["steps"] == target
        assert not list(out.rglob("*.tmp")), "a temporary file survived the resume"
        outcomes.append(before)
    assert max(outcomes) > 0  # at least some kills came after checkpoints had been written


# --- 6. resource limits -----------------------------------------------------------------------------------------
_PEAK_SCRIPT = """
import resource, sys, numpy as np
from PIL import Image
import lookgan
src = sys.argv[2]
Image.fromarray(np.random.default_rng(0).integers(0, 256, (80, 120, 3), dtype=np.uint8)).resize(
    (12000, 8000), Image.BILINEAR).save(src, quality=85)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
lookgan.apply(sys.argv[1], [src], out=sys.argv[3], progress=False)
print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_12000x8000_photo_applies_with_bounded_memory(tmp_path):
    case = write_colour_case(tmp_path / "case", warm_grade, n=6, n_held=1)
    lookgan.train("lut", case / "style", photos=case / "content", out=tmp_path / "w.look", steps=2)
    r = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, str(tmp_path / "w.look"), str(tmp_path / "big.jpg"),
                        str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    _, peak_kib = map(int, r.stdout.split()[-2:])
    with Image.open(tmp_path / "out" / "big.jpg") as im:
        assert im.size == (12000, 8000)
    # 96 MP in and out as uint8 is 2 x 275 MiB; the LUT path adds bounded chunks, never a float copy (1.1 GiB).
    print(f"12000x8000 apply: peak RSS {peak_kib / 1024:.0f} MiB")
    assert peak_kib < 1.6 * 1024 * 1024, f"peak RSS {peak_kib / 1024:.0f} MiB"


def test_a_folder_of_10000_images_is_listed_without_decoding_them(tmp_path, monkeypatch):
    folder = tmp_path / "many"
    folder.mkdir()
    one = tmp_path / "one.png"
    Image.new("RGB", (2, 2), (10, 20, 30)).save(one)
    data = one.read_bytes()
    for i in range(10_000):
        (folder / f"{i:05d}.png").write_bytes(data)
    opened = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda *a, **k: opened.append(a) or real_open(*a, **k))
    from lookgan.data.images import list_images
    from lookgan.use.applying import _expand_inputs, _plan

    assert len(list_images(folder)) == 10_000
    assert len(_plan(_expand_inputs([folder]), tmp_path / "out")) == 10_000
    assert opened == []


# --- 4. bad numbers ----------------------------------------------------------------------------------------------
def test_extreme_or_invalid_learning_rates_are_reported(tmp_path, capsys):
    from lookgan.cli import main

    style = write_image_folder(tmp_path / "style", 6)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**TINY_DCGAN, "method": {**TINY_DCGAN["method"], "lr_g": 0}}))
    assert main(["train", "dcgan", str(style), "--out", str(tmp_path / "a.look"), "--config", str(bad)]) == 2
    assert "learning rate must be a positive number" in capsys.readouterr().err
    huge = tmp_path / "huge.yaml"
    huge.write_text(yaml.safe_dump({**TINY_DCGAN, "method": {**TINY_DCGAN["method"], "lr_d": 5.0}}))
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # shown even where a filter (pytest -W) would hide it
        main(["train", "dcgan", str(style), "--out", str(tmp_path / "b.look"), "--config", str(huge), "--steps", "3"])
    assert "extreme learning rate" in capsys.readouterr().err


# --- 7. dependency hygiene ---------------------------------------------------------------------------------------
def test_installed_versions_meet_the_declared_security_minimums():
    """pyproject.toml's minimums (Pillow >= 12.2 for CVE-2026-40192, gradio >= 6.16) hold for what is installed;
    vulnerability databases cannot be reached offline, so the minimums are the record."""
    tomllib = pytest.importorskip("tomllib")
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    reqs += [Requirement(r) for extra in project["optional-dependencies"].values() for r in extra]
    declared = {r.name.lower(): r for r in reqs}
    assert declared["pillow"].specifier.contains("12.2.0") and not declared["pillow"].specifier.contains("12.1.9")
    assert declared["gradio"].specifier.contains("6.16.0") and not declared["gradio"].specifier.contains("6.15.9")
    checked = []
    for name, req in declared.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue  # an extra that is not installed here
        assert req.specifier.contains(installed, prereleases=True), f"{name} {installed} does not meet {req}"
        checked.append(name)
    assert {"pillow", "torch", "numpy", "safetensors"} <= set(checked)


def test_a_bomb_is_refused_from_its_header(tmp_path):
    """A 20000x20000 PNG of a few hundred bytes is refused from its header: nothing near 1.2 GB is allocated."""
    from lookgan.core.errors import ImageTooLargeError
    from lookgan.data.images import read_image
    from tests.helpers import write_bomb_png

    bomb = tmp_path / "bomb.png"
    write_bomb_png(bomb)
    assert bomb.stat().st_size < 10_000
    with pytest.raises(ImageTooLargeError, match="bomb.png"):
        read_image(bomb, max_pixels=50_000_000)
