"""A kind from outside lookgan, defined in this file and installed as a plugin, goes through every command.

The proof that a kind is one module: ``ToyGrade`` (three gains and three gammas matched to the style images'
colour moments) is declared in the ``lookgan.kinds`` entry-point group by a tiny distribution written into a
temporary folder on ``sys.path`` — exactly what ``pip install`` of a plugin package leaves behind — and then
trains, resumes, applies (a file and a folder), exports (.cube and ONNX), shows its info, is evaluated against a
known answer and appears in the web app's kind list, with no file of lookgan changed. Its own command-line options
(``--lr``, ``--gentle``) appear in ``lookgan train toy --help`` and reach its config.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import lookgan
from lookgan.cli import main
from lookgan.core.catalogue import catalogue, describe, kind_names
from lookgan.core.options import KindOption
from lookgan.core.registry import get_method
from lookgan.kinds.base import DataSpec, Method
from lookgan.kinds.capabilities import PointwiseRestyler
from lookgan.kinds.look import Look
from lookgan.use.exporting.cube import read_lut_file
from tests.helpers import warm_grade, write_colour_case


# --- the plugin: everything a kind needs, in one place ------------------------------------------------------
@dataclass
class ToyConfig:
    size: int = 32
    """Side of the training crops."""
    lr: float = 0.01


class ToyNet(nn.Module):
    """``gain * x ** gamma`` per channel, in [0, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.log_gain = nn.Parameter(torch.zeros(3))
        self.log_gamma = nn.Parameter(torch.zeros(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, 3, H, W) in [0, 1]
        shape = (1, 3, 1, 1)
        return (x.clamp_min(1e-4) ** self.log_gamma.exp().view(shape) * self.log_gain.exp().view(shape)).clamp(0, 1)


class ToyRestyler(PointwiseRestyler):
    def __init__(self, look: Look, net: ToyNet) -> None:
        super().__init__(look)
        self.net = net

    def restyle(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)


class ToyGrade(Method):
    """Toy colour kind: per-channel gain and gamma matched to the style images' colour moments."""

    Config = ToyConfig
    needs_photos = True
    learns = "toy: per-channel gain and gamma (a plugin defined in a test)"
    time_here = "seconds"
    train_defaults: ClassVar[dict[str, Any]] = {"batch": 4, "steps": 6, "sample_every": 3, "checkpoint_every": 3}
    options = (KindOption("--lr", "Adam's learning rate [default: 0.01].", field="lr", type="float"),
               KindOption("--gentle", "Learn slowly (a tenth of the learning rate).", sets={"lr": 0.001}))

    def __init__(self, config: ToyConfig, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        self.nets = {"grade": ToyNet().to(self.device)}
        self.optimizers = {"grade": torch.optim.Adam(self.nets["grade"].parameters(), lr=config.lr)}
        ramp = torch.linspace(0, 1, 16)
        self.buffers = {"ramp": torch.stack([ramp.expand(16, 16), ramp.expand(16, 16).T, 1 - ramp.expand(16, 16)])[None]}

    def data_spec(self) -> DataSpec:
        return DataSpec(load_size=self.config.size, crop_size=self.config.size, min_images=2)

    def train_step(self, batch: Any, step: int) -> dict[str, torch.Tensor]:
        photos, style = (batch["content"] + 1) / 2, (batch["style"] + 1) / 2
        graded = self.nets["grade"](photos)
        loss = ((graded.mean((0, 2, 3)) - style.mean((0, 2, 3))).pow(2).sum()
                + (graded.std((0, 2, 3)) - style.std((0, 2, 3))).pow(2).sum())
        self.optimize("grade", loss)
        return {"moments": loss.detach()}

    @torch.no_grad()
    def sample(self) -> torch.Tensor:
        return torch.cat([self.buffers["ramp"], self.nets["grade"](self.buffers["ramp"])]) * 2 - 1

    def look_tensors(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.nets["grade"].state_dict().items()}

    @classmethod
    def build_inference(cls, config: ToyConfig, tensors: dict[str, torch.Tensor], *, device: str = "cpu") -> ToyNet:
        net = ToyNet()
        net.load_state_dict(tensors)
        return net.to(device).eval()

    @classmethod
    def open(cls, look: Look, *, device: str = "cpu") -> ToyRestyler:
        return ToyRestyler(look, look.build(device=device))


# --- installing it the way pip would ------------------------------------------------------------------------
@pytest.fixture()
def toy_installed(tmp_path, monkeypatch):
    site = tmp_path / "site"
    info = site / "lookgan_toy-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lookgan-toy\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[lookgan.kinds]\ntoy = {__name__}:ToyGrade\n")
    monkeypatch.syspath_prepend(str(site))
    return "toy"


def test_a_plugin_kind_goes_through_every_command(toy_installed, tmp_path, capsys):
    case = write_colour_case(tmp_path / "case", warm_grade, n=12, n_held=3)
    assert "toy" in kind_names() and get_method("toy") is ToyGrade and ToyGrade.kind == "toy"

    # train, then resume to more steps: the second run continues from the first one's checkpoint
    out = tmp_path / "toy.look"
    args = ["train", "toy", str(case / "style"), "--photos", str(case / "content"), "--out", str(out)]
    assert main(args + ["--steps", "3"]) == 0
    first = lookgan.load_look(out).tensors["log_gain"].clone()
    assert main(args + ["--steps", "6", "--resume"]) == 0
    look = lookgan.load_look(out)
    assert look.kind == "toy" and look.meta["steps"] == 6
    assert not torch.equal(first, look.tensors["log_gain"])
    # the warm grade raises red and lowers blue: the moments pull the gains that way
    assert look.tensors["log_gain"][0] > look.tensors["log_gain"][2]

    # apply: one file, then a folder
    held = sorted((case / "held").iterdir())
    assert main(["apply", str(out), str(held[0]), "--out", str(tmp_path / "one")]) == 0
    assert main(["apply", str(out), str(case / "held"), "--out", str(tmp_path / "all"), "--strength", "0.5"]) == 0
    assert len(list((tmp_path / "all").iterdir())) == len(held)
    before = np.asarray(Image.open(held[0]), float)
    after = np.asarray(Image.open(tmp_path / "one" / held[0].name), float)
    assert after[..., 0].mean() > before[..., 0].mean() and after[..., 2].mean() < before[..., 2].mean()

    # export: the LUT is the look (a pointwise kind)
    assert main(["export", str(out), "--format", "cube", "--out", str(tmp_path / "toy.cube")]) == 0
    lut = read_lut_file(tmp_path / "toy.cube")
    assert lut.shape == (3, 33, 33, 33)
    with torch.no_grad():
        mid = torch.full((1, 3, 1, 1), 0.5)
        assert torch.allclose(lut[:, 16, 16, 16], look.module()(mid).flatten(), atol=1e-5)

    # info and eval
    capsys.readouterr()
    assert main(["info", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "toy"
    assert main(["eval", str(out), "--photos", str(case / "held"), "--truth", str(case / "truth"), "--json",
                 str(tmp_path / "m.json"), "--no-faces"]) == 0
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["kind"] == "toy" and metrics["delta_e2000"] > 0

    # the web app lists it, described from its own class, and trains it
    assert describe("toy").learns == ToyGrade.learns
    assert "toy" in [info.name for info in catalogue()]
    from lookgan.ui.actions import Actions
    from lookgan.ui.workspace import Workspace

    actions = Actions(Workspace(tmp_path / "work"))
    job = actions.start_training(kind="toy", name="web", style_dir=str(case / "style"),
                                 photo_dir=str(case / "content"), steps=2)
    assert job.wait(120) and job.snapshot().status == "done", job.snapshot()
    assert "web" in actions.look_choices(generators=False) and "web" not in actions.look_choices(generators=True)
    gr = pytest.importorskip("gradio")
    from lookgan.ui.app import build_app

    page = build_app(actions)
    (dropdown,) = [b for b in page.blocks.values() if isinstance(b, gr.Dropdown) and b.elem_id == "kind"]
    assert "toy" in [value for _, value in dropdown.choices]

    # ONNX last: it needs the onnx extra
    pytest.importorskip("onnxruntime")
    assert main(["export", str(out), "--format", "onnx", "--out", str(tmp_path / "toy.onnx")]) == 0
    assert main(["apply", str(tmp_path / "toy.onnx"), str(held[0]), "--out", str(tmp_path / "onnx"),
                 "--backend", "onnx"]) == 0
    onnx_out = np.asarray(Image.open(tmp_path / "onnx" / held[0].name), float)
    assert np.abs(onnx_out - after).mean() < 1.0


def test_a_plugin_kind_declares_its_own_options(toy_installed, tmp_path, capsys):
    """`train toy --help` lists the options the plugin declared beside the shared ones; given, they set the config
    (none of lookgan's files names them); another kind's help does not show them."""
    capsys.readouterr()
    assert main(["train", "toy", "--help"]) == 0
    text = capsys.readouterr().out
    assert "--lr FLOAT" in text and "Adam's learning rate" in text and "--gentle" in text and "--steps" in text
    assert main(["train", "dcgan", "--help"]) == 0
    assert "--gentle" not in capsys.readouterr().out
    case = write_colour_case(tmp_path / "case", warm_grade, n=6, n_held=1)
    args = ["train", "toy", str(case / "style"), "--photos", str(case / "content"), "--steps", "1"]
    assert main(args + ["--out", str(tmp_path / "a.look"), "--lr", "0.05"]) == 0
    assert lookgan.load_look(tmp_path / "a.look").config.lr == 0.05
    assert main(args + ["--out", str(tmp_path / "b.look"), "--gentle"]) == 0
    assert lookgan.load_look(tmp_path / "b.look").config.lr == 0.001
    assert main(args + ["--out", str(tmp_path / "c.look"), "--lr", "fast"]) == 2  # a usage error, not a crash


def test_asking_a_kind_for_what_it_cannot_do_says_so(toy_installed, tmp_path, trained_dcgan_look):
    from lookgan.kinds.capabilities import CapabilityError
    from lookgan.kinds.look import as_generator, as_restyler

    with pytest.raises(CapabilityError, match="does not restyle photos.*lookgan generate"):
        as_restyler(trained_dcgan_look)
    case = write_colour_case(tmp_path / "case", warm_grade, n=6, n_held=1)
    with pytest.raises(CapabilityError, match="cannot be made from a LUT file"):
        get_method("toy").from_lut(torch.zeros(3, 2, 2, 2), tmp_path / "x.look", source="x.cube", data={})
    with pytest.raises(CapabilityError, match="learns from a folder of images"):
        lookgan.train("toy", next((case / "style").iterdir()), photos=case / "content", out=tmp_path / "r.look")
    lookgan.train("toy", case / "style", photos=case / "content", out=tmp_path / "t.look", steps=1)
    with pytest.raises(CapabilityError, match="restyles photos rather than generating"):
        as_generator(tmp_path / "t.look")
