"""ONNX export of every kind of look, opened and run by onnxruntime: parity with PyTorch at two sizes, the
metadata apps rely on, and `apply --backend onnx` against the PyTorch path."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

import lookgan  # noqa: E402
from lookgan.cli import main  # noqa: E402
from lookgan.core.errors import InputError  # noqa: E402
from lookgan.use.applying import BatchOptions  # noqa: E402
from lookgan.use.exporting.onnx import OnnxLook, export_onnx, graph_for  # noqa: E402
from tests.helpers import warm_grade, write_colour_case  # noqa: E402

TINY_TRANSLATOR = {"method": {"ngf": 8, "n_blocks": 2, "size": 32}, "train": {"batch": 1}}


@pytest.fixture(scope="module")
def looks(tmp_path_factory, trained_dcgan_look):
    root = tmp_path_factory.mktemp("onnx")
    case = write_colour_case(root / "case", warm_grade, n=6, n_held=3)
    lookgan.train("lut", case / "style", photos=case / "content", out=root / "lut.look", steps=3)
    lookgan.train("fastcut", case / "style", photos=case / "content", out=root / "fastcut.look", steps=2,
                  config=TINY_TRANSLATOR)
    exported = {}
    for kind, path in (("lut", root / "lut.look"), ("fastcut", root / "fastcut.look"), ("dcgan", trained_dcgan_look)):
        exported[kind] = (path, export_onnx(path, root / f"{kind}.onnx"))
    return exported, case


@pytest.mark.parametrize("kind", ["lut", "fastcut"])
def test_image_looks_match_pytorch_at_two_sizes(looks, kind):
    exported, _ = looks
    look_path, onnx_path = exported[kind]
    module = graph_for(lookgan.load_look(look_path))[0]
    runner = OnnxLook(onnx_path)
    rng = np.random.default_rng(0)
    for shape in ((1, 3, 64, 48), (2, 3, 132, 200)):  # batch, height and width all change
        x = rng.random(shape, dtype=np.float32)
        with torch.no_grad():
            ref = module(torch.from_numpy(x)).numpy()
        got = runner.run(x)
        assert got.shape == ref.shape
        assert 2 * np.abs(got - ref).max() <= 1e-4  # on the [-1, 1] scale
    assert runner.metadata["lookgan_kind"] == kind and runner.metadata["range"] == "0..1"
    assert runner.metadata["multiple_of"] == ("4" if kind == "fastcut" else "1")


def test_generator_matches_pytorch(looks):
    exported, _ = looks
    look_path, onnx_path = exported["dcgan"]
    runner = OnnxLook(onnx_path)
    assert runner.generates and runner.session.get_inputs()[0].name == "z"
    module = graph_for(lookgan.load_look(look_path))[0]
    for n in (1, 5):
        z = np.random.default_rng(n).standard_normal((n, int(runner.metadata["z_dim"]))).astype(np.float32)
        with torch.no_grad():
            ref = module(torch.from_numpy(z)).numpy()
        assert 2 * np.abs(runner.run(z) - ref).max() <= 1e-4
    with pytest.raises(InputError, match="makes new images"):
        runner.run_image(np.zeros((8, 8, 3), np.uint8))


def test_cli_export_and_apply_with_onnxruntime(looks, tmp_path, capsys):
    exported, case = looks
    held = sorted((case / "held").iterdir())
    # A translator on a photo whose sides are not multiples of 4: padded and cropped back.
    photo = tmp_path / "odd.png"
    Image.fromarray(np.asarray(Image.open(held[0]))[:45, :39]).save(photo)
    for kind in ("lut", "fastcut"):
        look_path, _ = exported[kind]
        onnx_file = tmp_path / f"{kind}.onnx"
        assert main(["export", str(look_path), "--format", "onnx", "--out", str(onnx_file)]) == 0
        assert "--backend onnx" in capsys.readouterr().out
        out_onnx, out_torch = tmp_path / f"{kind}-onnx", tmp_path / f"{kind}-torch"
        assert main(["apply", str(onnx_file), str(photo), *map(str, held), "--out", str(out_onnx),
                     "--backend", "onnx"]) == 0
        assert main(["apply", str(look_path), str(photo), *map(str, held), "--out", str(out_torch)]) == 0
        for name in [photo.name, *(p.name for p in held)]:
            a = np.asarray(Image.open(out_onnx / name), dtype=float)
            b = np.asarray(Image.open(out_torch / name), dtype=float)
            assert a.shape == b.shape
            # LUT looks: the PyTorch path takes the predictor's thumbnail with Pillow, the graph with an
            # antialiased resize; a few levels at most. Translators: the same computation.
            assert np.abs(a - b).mean() < (2.0 if kind == "lut" else 0.5), (kind, name)
    # A look folder runs through ONNX too (exported on the fly), with strength blended afterwards.
    half = tmp_path / "half"
    lookgan.apply(exported["lut"][0], [held[0]], out=half, strength=0.0, progress=False,
                  batch=BatchOptions(backend="onnx"))
    assert np.abs(np.asarray(Image.open(half / held[0].name), float) - np.asarray(Image.open(held[0]), float)).max() <= 1


def test_bad_onnx_files_are_refused(tmp_path, looks):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"definitely not protobuf")
    with pytest.raises(InputError, match="not an ONNX model"):
        OnnxLook(junk)
    with pytest.raises(InputError, match="--size"):
        lookgan.export(looks[0]["lut"][0], format="onnx", out=tmp_path / "x.onnx", size=17)
    with pytest.raises(InputError, match="backend"):
        lookgan.apply(looks[0]["lut"][0], [tmp_path], out=tmp_path / "o",
                      batch=BatchOptions(backend="tensorrt"))
