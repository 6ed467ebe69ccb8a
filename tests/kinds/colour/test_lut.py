"""The lut kind and its baselines on tiny known-answer cases (48-px pictures, a 9-point LUT)."""
import numpy as np
import pytest
import torch

import lookgan
from lookgan.core.errors import InputError, NotEnoughImagesError
from lookgan.kinds.capabilities import ApplyOptions
from lookgan.kinds.colour.baselines import TransferConfig
from lookgan.kinds.colour.method import LUTConfig
from lookgan.kinds.colour.network import AdaptiveLUT
from lookgan.kinds.look import as_restyler, load_look
from lookgan.training.checkpoint import load_latest_checkpoint
from lookgan.use.eval.truth import truth_metrics
from tests.helpers import warm_grade, write_colour_case

TINY = {"lut_size": 9, "thumb_size": 64, "width": 4, "load_size": 48, "crop_size": 48, "disc_size": 32,
        "disc_width": 8, "pixels": 5000, "ot_iterations": 5, "n_samples": 2}
TINY_TRAIN = {"batch": 4, "sample_every": 4, "checkpoint_every": 4, "log_every": 1}


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    return write_colour_case(tmp_path_factory.mktemp("case"), warm_grade)


def delta_e(look_dir, case) -> float:
    grade = as_restyler(load_look(look_dir)).grader(ApplyOptions())
    return truth_metrics(grade, case / "held", case / "truth", progress=False)["delta_e2000"]


def identity_delta_e(case) -> float:
    return truth_metrics(lambda im: im, case / "held", case / "truth", progress=False)["delta_e2000"]


def test_unpaired_gan_training_from_identity_reduces_delta_e(case, tmp_path):
    cfg = {"method": {**TINY, "init": "identity", "lr": 3e-3, "lr_d": 1e-3, "content": 0.0, "adaptive": False,
                      "n_luts": 1, "gan": "on", "adversarial_evidence": False},
           "train": {**TINY_TRAIN, "sample_every": 0, "checkpoint_every": 100}}
    lookgan.train("lut", case / "style", photos=case / "content", out=tmp_path / "g.look", steps=60, config=cfg)
    before, after = identity_delta_e(case), delta_e(tmp_path / "g.look", case)
    assert after < 0.75 * before, (before, after)


def test_adaptive_training_writes_grids_plots_and_an_exportable_look(case, tmp_path):
    out = tmp_path / "a.look"
    res = lookgan.train("lut", case / "style", photos=case / "content", out=out, steps=6,
                        config={"method": {**TINY, "gan": "on"}, "train": TINY_TRAIN})
    assert res.step == 6 and (out / "loss.png").exists() and (out / "samples" / "step-0000004.png").exists()
    look = load_look(out)
    model = look.build()
    assert isinstance(model, AdaptiveLUT) and model.adaptive and model.n_luts == 3
    assert torch.isclose(model.mean_weights.sum(), torch.tensor(1.0), atol=0.2)
    # the OT initialisation already does most of the work on a smooth global grade
    assert delta_e(out, case) < 0.6 * identity_delta_e(case)


def test_resume_is_bit_exact(case, tmp_path):
    cfg = {"method": {**TINY, "gan": "on"}, "train": TINY_TRAIN}
    kw = dict(photos=case / "content", config=cfg)
    lookgan.train("lut", case / "style", out=tmp_path / "straight.look", steps=8, **kw)
    lookgan.train("lut", case / "style", out=tmp_path / "halves.look", steps=4, **kw)
    lookgan.train("lut", case / "style", out=tmp_path / "halves.look", steps=8, resume=True, **kw)
    a = load_latest_checkpoint(tmp_path / "straight.look" / "checkpoints")
    b = load_latest_checkpoint(tmp_path / "halves.look" / "checkpoints")
    assert a.step == b.step == 8
    for k, v in a.tensors.items():
        if k.startswith(("net.", "opt.")):
            assert torch.equal(v, b.tensors[k]), k


def test_paired_training_learns_the_edit(case, tmp_path):
    # pairs: the held photos and their graded truth (same names); scored on the same pictures, it must fit well
    out = tmp_path / "p.look"
    lookgan.train("lut", case / "truth", pairs=case / "held", out=out, steps=40,
                  config={"method": {**TINY, "init": "identity", "lr": 3e-3},
                          "train": {**TINY_TRAIN, "checkpoint_every": 100, "sample_every": 0}})
    assert load_look(out).config.mode == "paired"
    assert delta_e(out, case) < 0.5 * identity_delta_e(case)


@pytest.mark.parametrize("kind", ["ot", "reinhard"])
def test_baselines_fit_in_one_go(case, tmp_path, kind):
    out = tmp_path / f"{kind}.look"
    res = lookgan.train(kind, case / "style", photos=case / "content", out=out,
                        config={"method": {"lut_size": 9, "pixels": 5000, "load_size": 48}})
    assert res.step == 0 and res.checkpoint is None and (out / "preview.jpg").exists()
    assert delta_e(out, case) < identity_delta_e(case)


def test_input_errors(case, tmp_path):
    with pytest.raises(InputError, match="--photos"):
        lookgan.train("lut", case / "style", out=tmp_path / "x.look")
    with pytest.raises(InputError, match="not both"):
        lookgan.train("lut", case / "style", photos=case / "content", pairs=case / "held", out=tmp_path / "x.look")
    with pytest.raises(InputError, match="pairs"):
        lookgan.train("dcgan", case / "style", pairs=case / "held", out=tmp_path / "x.look")
    with pytest.raises(NotEnoughImagesError, match="match by file name"):
        lookgan.train("lut", case / "style", pairs=case / "content", out=tmp_path / "x.look",
                      config={"method": TINY})
    with pytest.raises(ValueError, match="colour augmentation"):
        LUTConfig(augment="color,translation")
    with pytest.raises(ValueError, match="exactly 1"):
        LUTConfig(adaptive=False, n_luts=3)


def test_misaligned_pairs_are_named(case, tmp_path):
    from PIL import Image

    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir(), after.mkdir()
    for i in range(3):
        Image.fromarray(np.zeros((48, 48, 3), np.uint8)).save(before / f"p{i}.png")
        Image.fromarray(np.zeros((48, 64 if i == 1 else 48, 3), np.uint8)).save(after / f"p{i}.png")
    with pytest.raises(InputError, match="p1.png.*differ in size"):
        lookgan.train("lut", after, pairs=before, out=tmp_path / "x.look", config={"method": TINY})


def test_ot_space_is_checked_and_recorded():
    with pytest.raises(ValueError, match="space must be one of auto, rgb, lab"):
        TransferConfig(space="hsv")
    assert TransferConfig().space == "auto" and TransferConfig(space="lab").space == "lab"
    # content matching is opt-in: a wash over 40 grades (docs/results/colour_ot.md; tests/ops/test_content_match.py)
    assert not TransferConfig().match_content and not LUTConfig().match_content
