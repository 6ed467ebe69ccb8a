"""The training loop: exact resume, NaN guard, budgets, abort, outputs."""
from __future__ import annotations

import dataclasses
import warnings

import pytest
import torch
from safetensors.torch import load_file

from lookgan import api
from lookgan.core import config
from lookgan.core.config import TrainConfig
from lookgan.core.errors import TrainingDivergedError
from lookgan.data.dataset import BatchStream, ImageFolder
from lookgan.kinds.generator.dcgan import DCGAN, DCGANConfig
from lookgan.training.checkpoint import list_checkpoints
from lookgan.training.hooks import Hook
from lookgan.training.loop import run_training


def test_resume_is_bit_exact(style_dir, tiny_config, tmp_path):
    tiny_config["method"]["augment"] = "color,translation,cutout"  # exercises the global RNG too
    api.train("dcgan", style_dir, out=tmp_path / "a.look", steps=8, config=tiny_config)
    api.train("dcgan", style_dir, out=tmp_path / "b.look", steps=4, config=tiny_config)
    api.train("dcgan", style_dir, out=tmp_path / "b.look", steps=8, resume=True)
    a = load_file(tmp_path / "a.look/checkpoints/ckpt-00000008.safetensors")
    b = load_file(tmp_path / "b.look/checkpoints/ckpt-00000008.safetensors")
    assert a.keys() == b.keys() and len(a) > 50
    differ = [k for k in a if not torch.equal(a[k], b[k])]
    assert differ == []
    # and the exported looks are identical too
    assert torch.equal(load_file(tmp_path / "a.look/weights.safetensors")["generator.net.0.weight"],
                       load_file(tmp_path / "b.look/weights.safetensors")["generator.net.0.weight"])


def test_bf16_resume_is_bit_exact_and_keeps_its_precision(style_dir, tiny_config, tmp_path):
    """bf16 autocast runs keep float32 weights, optimiser state and checkpoints, resume bit-exactly, and a resume
    cannot switch precision (that would make it a different run): it keeps the checkpoint's, with a warning."""
    api.train("dcgan", style_dir, out=tmp_path / "a.look", steps=6, amp="bf16", config=tiny_config)
    api.train("dcgan", style_dir, out=tmp_path / "b.look", steps=3, amp="bf16", config=tiny_config)
    with pytest.warns(UserWarning, match="--amp none ignored: resuming keeps the checkpoint's amp bf16"):
        api.train("dcgan", style_dir, out=tmp_path / "b.look", steps=6, resume=True, amp="none")
    a = load_file(tmp_path / "a.look/checkpoints/ckpt-00000006.safetensors")
    b = load_file(tmp_path / "b.look/checkpoints/ckpt-00000006.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert {t.dtype for t in a.values() if t.is_floating_point()} == {torch.float32}
    assert api.info(tmp_path / "b.look")["train"]["amp"] == "bf16"


@pytest.mark.parametrize("native,expected", [(True, "bf16"), (False, "none")])
def test_auto_precision_follows_the_hardware_and_is_recorded(native, expected, style_dir, tiny_config, tmp_path,
                                                             monkeypatch):
    monkeypatch.setattr(config, "native_bf16", lambda device: native)
    api.train("dcgan", style_dir, out=tmp_path / "a.look", steps=2, amp="auto", config=tiny_config)
    assert api.info(tmp_path / "a.look")["train"]["amp"] == expected  # a resume repeats what ran
    assert config.resolve_amp("none", "cpu") == "none" and config.resolve_amp("bf16", "cpu") == "bf16"


def test_different_seed_differs(style_dir, tiny_config, tmp_path):
    api.train("dcgan", style_dir, out=tmp_path / "a.look", steps=2, config=tiny_config, seed=1)
    api.train("dcgan", style_dir, out=tmp_path / "b.look", steps=2, config=tiny_config, seed=2)
    a, b = (load_file(tmp_path / f"{n}.look/weights.safetensors") for n in "ab")
    assert not torch.equal(a["generator.net.0.weight"], b["generator.net.0.weight"])


def test_outputs_written(style_dir, tiny_config, tmp_path):
    res = api.train("dcgan", style_dir, out=tmp_path / "x.look", steps=5, config=tiny_config)
    look = tmp_path / "x.look"
    assert res.stopped == "done" and res.step == 5
    for name in ("look.json", "weights.safetensors", "preview.jpg", "loss.png"):
        assert (look / name).stat().st_size > 0, name
    assert sorted(p.name for p in (look / "samples").iterdir()) == [
        "step-0000002.png", "step-0000004.png", "step-0000005.png"]
    assert [s for s, _ in list_checkpoints(look / "checkpoints")] == [5, 3]
    assert len(res.history) == 5 and set(res.history[0]["losses"]) == {"d", "g"}


def _method_and_stream(style_dir, **cfg):
    torch.manual_seed(0)
    m = DCGAN(DCGANConfig(size=32, ngf=8, ndf=8, n_samples=4, **cfg))
    ds = ImageFolder(style_dir, load_size=32, progress=False)
    return m, BatchStream(ds, batch_size=4, crop_size=32, seed=0)


def test_nan_steps_skipped_then_training_stops_keeping_last_good(style_dir, tmp_path):
    m, stream = _method_and_stream(style_dir)
    real_step = m.train_step
    calls = {"n": 0}

    def flaky(batch, step):
        calls["n"] += 1
        if calls["n"] == 2 or calls["n"] >= 6:  # one isolated bad batch, later a broken run
            batch = batch * float("nan")
        return real_step(batch, step)

    m.train_step = flaky
    cfg = TrainConfig(steps=50, batch=4, checkpoint_every=2, sample_every=0, max_bad_steps=3)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with pytest.raises(TrainingDivergedError, match="3 non-finite steps in a row.*ckpt-00000004"):
            run_training(m, stream, train=cfg, out=tmp_path / "n.look", data_summary={})
    skipped = [str(x.message) for x in w if "step skipped" in str(x.message)]
    assert len(skipped) == 4  # the isolated one and three in a row
    assert [s for s, _ in list_checkpoints(tmp_path / "n.look/checkpoints")] == [4, 2]
    assert all(torch.isfinite(p).all() for p in m.nets["generator"].parameters())  # bad steps never applied


def test_minutes_budget_and_abort(style_dir, tmp_path):
    m, stream = _method_and_stream(style_dir)
    res = run_training(m, stream, train=TrainConfig(steps=10_000, minutes=0.002, sample_every=0),
                       out=tmp_path / "m.look", data_summary={})
    assert res.stopped == "minutes" and 0 < res.step < 10_000 or res.step == 0
    assert res.checkpoint is not None and res.checkpoint.exists()
    m, stream = _method_and_stream(style_dir)
    count = {"n": 0}

    def abort():
        count["n"] += 1
        return count["n"] > 3

    res = run_training(m, stream, train=TrainConfig(steps=100, sample_every=0), out=tmp_path / "a.look",
                       data_summary={}, abort_fn=abort)
    assert res.stopped == "abort" and res.step == 3
    assert res.checkpoint.name == "ckpt-00000003.json"


def test_progress_callback_sees_every_step(style_dir, tmp_path):
    m, stream = _method_and_stream(style_dir)
    seen = []
    run_training(m, stream, train=TrainConfig(steps=4, sample_every=2), out=tmp_path / "p.look", data_summary={},
                 progress_fn=seen.append)
    assert [p.step for p in seen] == [1, 2, 3, 4]
    assert seen[1].sample_path is not None and seen[0].sample_path is None
    assert seen[-1].eta_s == 0 and seen[-1].steps_per_s > 0


def test_custom_hooks_replace_the_defaults_and_see_every_step_and_the_end(style_dir, tmp_path):
    """run_training(hooks=[...]): each hook's after_step sees every step taken with its losses, at_end runs once;
    with no checkpoint hook in the list, nothing is written."""
    m, stream = _method_and_stream(style_dir)
    seen: list[tuple] = []

    class Recorder(Hook):
        def after_step(self, run, losses):
            seen.append((run.step, sorted(losses)))

        def at_end(self, run):
            seen.append(("end", run.step, run.stopped))

    res = run_training(m, stream, train=TrainConfig(steps=3, sample_every=1), out=tmp_path / "h.look",
                       data_summary={}, hooks=[Recorder()])
    assert [s[0] for s in seen] == [1, 2, 3, "end"] and seen[-1] == ("end", 3, "done")
    assert seen[0][1] == seen[1][1] and len(seen[0][1]) >= 2  # the step's named losses (the GAN's d and g)
    assert res.checkpoint is None and not list((tmp_path / "h.look").glob("checkpoints/*.json"))


def test_a_kind_fed_whole_frames_gets_no_batches(style_dir, tmp_path):
    """DataSpec(feed="frames"): the kind draws its own batches (as the preset does), so the loop never reads
    the stream and train_step receives None."""
    m, stream = _method_and_stream(style_dir)
    spec, real_step, got = m.data_spec(), m.train_step, []
    m.data_spec = lambda: dataclasses.replace(spec, feed="frames")

    def own_batches(batch, step):
        got.append(batch)
        return real_step(next(frames), step)

    frames = iter([stream.next_batch() for _ in range(2)])
    m.train_step = own_batches
    stream.next_batch = lambda: pytest.fail("the loop read a batch for a kind that feeds itself")
    res = run_training(m, stream, train=TrainConfig(steps=2, sample_every=0), out=tmp_path / "f.look",
                       data_summary={})
    assert res.step == 2 and got == [None, None]


def test_bf16_and_channels_last_train(style_dir, tmp_path):
    m, stream = _method_and_stream(style_dir)
    res = run_training(m, stream, train=TrainConfig(steps=2, sample_every=0, amp="bf16", channels_last=True),
                       out=tmp_path / "b.look", data_summary={})
    assert res.step == 2 and all(torch.isfinite(torch.tensor(v)) for v in res.history[-1]["losses"].values())


def test_skipped_step_leaves_batchnorm_statistics_untouched(style_dir, tmp_path):
    m, stream = _method_and_stream(style_dir)
    first_layer = m.nets["generator"].net[0]
    calls = {"n": 0}

    def poison(module, inputs, output):  # NaN inside the model, after the data check
        calls["n"] += 1
        return output * float("nan") if calls["n"] == 3 else output

    first_layer.register_forward_hook(poison)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = run_training(m, stream, train=TrainConfig(steps=4, sample_every=0), out=tmp_path / "s.look",
                           data_summary={})
    assert res.step == 4 and sum("step skipped" in str(x.message) for x in w) == 1
    for net in m.nets.values():
        assert all(torch.isfinite(b).all() for b in net.buffers() if b.is_floating_point())


def test_nan_in_data_is_skipped(style_dir, tmp_path):
    m, stream = _method_and_stream(style_dir)
    real_next = stream.next_batch
    calls = {"n": 0}

    def next_batch():
        calls["n"] += 1
        b = real_next()
        return b * float("inf") if calls["n"] == 1 else b

    stream.next_batch = next_batch
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = run_training(m, stream, train=TrainConfig(steps=2, sample_every=0), out=tmp_path / "d.look",
                           data_summary={})
    assert res.step == 2 and any("NaN/inf pixels" in str(x.message) for x in w)


def test_tensorboard_missing_is_a_clear_error(style_dir, tmp_path, monkeypatch):
    import importlib

    from lookgan.core import extras
    from lookgan.core.errors import InputError

    real_import, real_version = importlib.import_module, extras._version

    def no_tensorboard(name, *args, **kwargs):
        if name.startswith("torch.utils.tensorboard"):
            raise ImportError("No module named 'tensorboard'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", no_tensorboard)
    monkeypatch.setattr(extras, "_version", lambda dist: None if dist == "tensorboard" else real_version(dist))
    m, stream = _method_and_stream(style_dir)
    with pytest.raises(InputError, match=r"lookgan\[tensorboard\]"):
        run_training(m, stream, train=TrainConfig(steps=1, tensorboard=True), out=tmp_path / "t.look",
                     data_summary={})


def test_periodic_swd_is_plotted_and_does_not_change_the_run(tmp_path, style_dir, tiny_config):
    """eval_every adds an SWD curve to the history; the weights are the same as without it."""
    import copy

    from lookgan.training.hooks import EVAL_CURVE

    with_eval = copy.deepcopy(tiny_config)
    with_eval["train"]["eval_every"] = 2
    without = copy.deepcopy(tiny_config)
    without["train"]["eval_every"] = 0
    a = api.train("dcgan", style_dir, out=tmp_path / "a.look", steps=4, config=with_eval)
    b = api.train("dcgan", style_dir, out=tmp_path / "b.look", steps=4, config=without)
    curve = [(r["step"], r["losses"][EVAL_CURVE]) for r in a.history if EVAL_CURVE in r["losses"]]
    assert [s for s, _ in curve] == [2, 4] and all(v > 0 for _, v in curve)
    assert not any(EVAL_CURVE in r["losses"] for r in b.history)
    wa, wb = load_file(str(a.look / "weights.safetensors")), load_file(str(b.look / "weights.safetensors"))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
