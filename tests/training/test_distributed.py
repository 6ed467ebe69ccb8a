"""Training on two CPU processes under torchrun (gloo): the math, clean exits, and kill -9 then --resume."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from lookgan.training.checkpoint import list_checkpoints
from tests.conftest import TINY_DCGAN
from tests.helpers import write_image_folder

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
TRAIN_LINEAR = ("import sys, lookgan, tests.training.ddp_method;"
                "lookgan.train('test-linear', sys.argv[1], out=sys.argv[2], steps=int(sys.argv[3]), "
                "batch=int(sys.argv[4]), config={'train': {'checkpoint_every': 100, 'sample_every': 0}})")


def torchrun(*args: str, nproc: int = 2, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc),
           *args]
    result = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        pytest.fail(f"torchrun failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result


def test_two_processes_batch_b_equal_one_process_batch_2b(tmp_path):
    data = write_image_folder(tmp_path / "data", 12, size=(16, 16))
    script = tmp_path / "train_linear.py"
    script.write_text(TRAIN_LINEAR.replace(";", "\n"))
    subprocess.run([sys.executable, str(script), str(data), str(tmp_path / "one.look"), "5", "4"], env=ENV,
                   check=True, timeout=120)
    torchrun(str(script), str(data), str(tmp_path / "two.look"), "5", "2")
    one = load_file(tmp_path / "one.look" / "weights.safetensors")
    two = load_file(tmp_path / "two.look" / "weights.safetensors")
    start = torch.nn.Conv2d(3, 3, 1)  # the weights moved: the comparison is not between two untouched nets
    assert one.keys() == two.keys()
    for k in one:
        assert torch.allclose(one[k], two[k], atol=1e-6), (k, (one[k] - two[k]).abs().max())
    assert (one["weight"] - start.weight.detach()).abs().max() > 0.05


@pytest.fixture
def dcgan_case(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY_DCGAN))
    return write_image_folder(tmp_path / "style", 8), config


def test_ten_two_process_runs_in_a_row_exit_cleanly(dcgan_case, tmp_path):
    style, config = dcgan_case
    failures = []
    for i in range(10):
        r = torchrun("-m", "lookgan", "train", "dcgan", str(style), "--out", str(tmp_path / f"run{i}.look"),
                     "--steps", "4", "--config", str(config), check=False)
        if r.returncode != 0 or "terminate called" in r.stderr:
            failures.append((i, r.returncode, r.stderr[-500:]))
    assert not failures, failures
    # Only rank 0 wrote: one set of checkpoints, the look, and it loads.
    import lookgan

    assert sorted(s for s, _ in list_checkpoints(tmp_path / "run9.look" / "checkpoints")) == [3, 4]
    assert lookgan.load_look(tmp_path / "run9.look").meta["steps"] == 4


def _workers(parent: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=,ppid=,args=", "-e"], capture_output=True, text=True).stdout
    rows = [line.split(None, 2) for line in out.splitlines()]
    return [int(pid) for pid, ppid, args in (r for r in rows if len(r) == 3)
            if int(ppid) == parent and "lookgan" in args]


def test_kill9_of_one_worker_then_resume(dcgan_case, tmp_path):
    style, config = dcgan_case
    out = tmp_path / "k.look"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m",
           "lookgan", "train", "dcgan", str(style), "--out", str(out), "--steps", "100000", "--config", str(config)]
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while not any(s >= 9 for s, _ in list_checkpoints(out / "checkpoints")):
            assert time.monotonic() < deadline and proc.poll() is None, "no checkpoint appeared"
            time.sleep(0.2)
        workers = _workers(proc.pid)
        assert len(workers) == 2, workers
        os.kill(workers[1], signal.SIGKILL)  # one worker dies hard; torchrun stops the other
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    last = max(s for s, _ in list_checkpoints(out / "checkpoints"))
    r = torchrun("-m", "lookgan", "train", "dcgan", str(style), "--out", str(out), "--steps", str(last + 6),
                 "--config", str(config), "--resume")
    assert f"finished at step {last + 6}" in r.stdout
    assert max(s for s, _ in list_checkpoints(out / "checkpoints")) == last + 6


def test_batch_apply_shards_skips_existing_and_writes_a_manifest(tmp_path):
    import json

    import lookgan
    from tests.helpers import warm_grade, write_colour_case

    case = write_colour_case(tmp_path / "case", warm_grade, n=6, n_held=10)
    lookgan.train("ot", case / "style", photos=case / "content", out=tmp_path / "warm.look")
    out = tmp_path / "out"

    def run() -> dict:
        torchrun("-m", "lookgan", "apply", str(tmp_path / "warm.look"), str(case / "held"), "--out", str(out))
        return json.loads((out / "manifest.json").read_text())

    first = run()
    assert first["processes"] == 2 and first["this_run"] == {"written": 10, "skipped": 0, "failed": 0}
    assert sorted(p.name for p in out.glob("*.png")) == sorted(p.name for p in (case / "held").iterdir())
    # Sharded outputs are byte for byte what one process writes.
    single = tmp_path / "single"
    lookgan.apply(tmp_path / "warm.look", case / "held", out=single, progress=False)
    assert all((out / p.name).read_bytes() == (single / p.name).read_bytes() for p in single.iterdir())
    for p in sorted(out.glob("*.png"))[:3]:
        p.unlink()  # as if a crash had cut the batch short
    again = run()
    assert again["this_run"] == {"written": 3, "skipped": 7, "failed": 0} and len(again["files"]) == 10


@pytest.mark.parametrize("kind", ["lut", "cut", "fastgan"])
def test_other_kinds_train_under_torchrun(kind, tmp_path):
    """Multi-folder data (lut, cut), a network used several times per step (cut's PatchNCE taps), two outputs and
    random decoder crops (fastgan): all through DDP's forward."""
    from tests.helpers import warm_grade, write_colour_case

    case = write_colour_case(tmp_path / "case", warm_grade, n=6, n_held=1)
    config = tmp_path / "c.yaml"
    method = {"lut": {"gan": "on"}, "cut": {"ngf": 8, "n_blocks": 2, "size": 32}, "fastgan": {"size": 64, "ngf": 8, "ndf": 8}}
    config.write_text(yaml.safe_dump({"method": method[kind], "train": {"batch": 2, "eval_every": 0}}))
    photos = ["--photos", str(case / "content")] if kind != "fastgan" else []
    r = torchrun("-m", "lookgan", "train", kind, str(case / "style"), *photos, "--out", str(tmp_path / "x.look"),
                 "--steps", "3", "--config", str(config))
    assert "finished at step 3 after" in r.stdout and "on 2 processes" in r.stdout
