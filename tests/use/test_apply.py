"""Applying colour looks: any size, formats, metadata, strength, keep-colour, folders and video."""
import io
from fractions import Fraction

import numpy as np
import pytest
import torch
from PIL import Image, ImageCms

import lookgan
from lookgan.core.errors import InputError
from lookgan.ops.lut3d import FastLUT, apply_lut, lut_from_function
from lookgan.use.exporting import import_lut
from lookgan.use.exporting.cube import write_cube
from tests.helpers import colourful_image, linear_rgb_icc


def grade(c: torch.Tensor) -> torch.Tensor:
    return torch.stack([c[..., 0] ** 0.7, c[..., 1], c[..., 2] * 0.6], -1)


@pytest.fixture(scope="module")
def look(tmp_path_factory):
    root = tmp_path_factory.mktemp("look")
    write_cube(lut_from_function(grade, 17), root / "g.cube")
    return import_lut(root / "g.cube", out=root / "g.look")


@pytest.fixture
def photo():
    return colourful_image(np.random.default_rng(5), 64)


def test_any_size_and_aspect_matches_the_lut(look, photo, tmp_path):
    lut = lut_from_function(grade, 17)
    for w, h in ((64, 64), (300, 37), (37, 300)):
        img = np.asarray(Image.fromarray(photo).resize((w, h)))
        Image.fromarray(img).save(tmp_path / f"p{w}x{h}.png")
    out = lookgan.apply(look, tmp_path, out=tmp_path / "out", progress=False)
    assert len(out) == 3
    for path in out:
        res = np.asarray(Image.open(path))
        src = np.asarray(Image.open(tmp_path / path.name))
        assert res.shape == src.shape
        assert np.abs(res.astype(int) - FastLUT(lut)(src).astype(int)).max() <= 1


def test_strength_zero_is_the_photo_and_keep_colour_keeps_hue(look, photo, tmp_path):
    Image.fromarray(photo).save(tmp_path / "p.png")
    [same] = lookgan.apply(look, tmp_path / "p.png", out=tmp_path / "s0", strength=0.0, progress=False)
    assert np.abs(np.asarray(Image.open(same)).astype(int) - photo).max() <= 1
    [full] = lookgan.apply(look, tmp_path / "p.png", out=tmp_path / "s1", progress=False)
    [kept] = lookgan.apply(look, tmp_path / "p.png", out=tmp_path / "kc", keep_colour=True, progress=False)
    full, kept = np.asarray(Image.open(full)).astype(float), np.asarray(Image.open(kept)).astype(float)
    # the look crushes blue; keep-colour must keep far more of the photo's blue-vs-red balance
    balance = lambda im: (im[..., 2] - im[..., 0]).mean()  # noqa: E731
    assert abs(balance(kept) - balance(photo.astype(float))) < abs(balance(full) - balance(photo.astype(float)))
    with pytest.raises(InputError, match="strength"):
        lookgan.apply(look, tmp_path / "p.png", out=tmp_path / "bad", strength=3.0, progress=False)


def test_exif_and_icc_are_kept_and_jpeg_stays_jpeg(look, photo, tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x0112] = 6  # rotated: reading turns the pixels upright
    Image.fromarray(photo[:, :40]).save(tmp_path / "cam.jpg", exif=exif.tobytes(), icc_profile=linear_rgb_icc(),
                                        quality=95)
    [out] = lookgan.apply(look, tmp_path / "cam.jpg", out=tmp_path / "o", progress=False)
    assert out.suffix == ".jpg"
    with Image.open(out) as im:
        assert im.size == (64, 40)  # upright: the 40x64 stored picture was rotated
        assert im.getexif()[0x010F] == "TestCam" and im.getexif()[0x0112] == 1
        desc = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"])))
        assert "sRGB" in desc


def test_16_bit_input_is_graded_in_float(look, tmp_path):
    # Pillow decodes 16-bit grey PNGs at full precision (48-bit RGB PNGs it reduces to 8 bits on open)
    grey16 = (np.random.default_rng(0).random((20, 24)) * 65535).astype(np.uint16)
    Image.fromarray(grey16).save(tmp_path / "deep.png")
    [out] = lookgan.apply(look, tmp_path / "deep.png", out=tmp_path / "o", progress=False)
    res = np.asarray(Image.open(out)).astype(float)
    x = torch.from_numpy(np.repeat(grey16[None] / 65535.0, 3, axis=0))
    expected = apply_lut(x, lut_from_function(grade, 17).double()).permute(1, 2, 0).numpy() * 255
    assert np.abs(res - expected).max() <= 0.51  # graded from the 16-bit values, rounded once at the end


def test_bad_inputs(look, tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(InputError, match="neither an image nor a video"):
        lookgan.apply(look, tmp_path / "notes.txt", out=tmp_path / "o", progress=False)
    with pytest.raises(InputError, match="does not exist"):
        lookgan.apply(look, tmp_path / "missing.jpg", out=tmp_path / "o", progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no photos"):
        lookgan.apply(look, tmp_path / "empty", out=tmp_path / "o", progress=False)


def test_generator_looks_cannot_be_applied(trained_dcgan_look, tmp_path, photo):
    Image.fromarray(photo).save(tmp_path / "p.png")
    with pytest.raises(InputError, match="lookgan generate"):
        lookgan.apply(trained_dcgan_look, tmp_path / "p.png", out=tmp_path / "o", progress=False)


def _write_video(path, frames: list[np.ndarray], fps: int = 12, audio: bool = True) -> None:
    import av

    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=fps, options={"crf": "0"})  # lossless: the test compares colours
        v.width, v.height, v.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv444p"
        a = out.add_stream("aac", rate=16000) if audio else None
        for i, f in enumerate(frames):
            for p in v.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
        if a is not None:
            t = np.arange(16000 * len(frames) // fps) / 16000
            samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            for start in range(0, samples.shape[1], 1024):
                frame = av.AudioFrame.from_ndarray(samples[:, start:start + 1024], format="fltp", layout="mono")
                frame.sample_rate = 16000
                for p in a.encode(frame):
                    out.mux(p)
            for p in a.encode():
                out.mux(p)


def test_video_keeps_frames_rate_and_audio(look, tmp_path):
    import av

    rng = np.random.default_rng(2)
    frames = [colourful_image(rng, 64) for _ in range(12)]
    _write_video(tmp_path / "clip.mp4", frames)
    [out] = lookgan.apply(look, tmp_path / "clip.mp4", out=tmp_path / "o", progress=False)
    assert out.name == "clip.mp4"
    lut = FastLUT(lut_from_function(grade, 17))
    with av.open(str(out)) as inp:
        vs = inp.streams.video[0]
        assert vs.average_rate == Fraction(12) and len(inp.streams.audio) == 1
        got = [f.to_ndarray(format="rgb24") for f in inp.decode(video=0)]
    assert len(got) == len(frames)
    errors = [np.abs(g.astype(float) - lut(f).astype(float)).mean() for g, f in zip(got, frames)]
    assert max(errors) < 4  # H.264 4:2:0 at CRF 18 on a noisy 64-px picture


def test_video_encoder_speed_is_the_users_choice(look, tmp_path):
    rng = np.random.default_rng(3)
    _write_video(tmp_path / "clip.mp4", [colourful_image(rng, 32) for _ in range(3)], audio=False)
    for preset, subme in (("medium", b"subme=7"), ("ultrafast", b"subme=0")):
        [out] = lookgan.apply(look, tmp_path / "clip.mp4", out=tmp_path / preset, progress=False,
                              batch=lookgan.api.BatchOptions(video_preset=preset))
        assert subme in out.read_bytes()  # x264 writes its settings into the stream
    with pytest.raises(InputError, match="--video-preset must be one of ultrafast"):
        lookgan.api.BatchOptions(video_preset="quick")


def test_adaptive_weights_are_smoothed_over_time():
    from lookgan.kinds.capabilities import ApplyOptions
    from lookgan.kinds.colour.look import FrameGrader
    from lookgan.kinds.colour.network import AdaptiveLUT

    model = AdaptiveLUT(lut_size=5, n_luts=2, thumb_size=64, width=4).eval()
    torch.nn.init.normal_(model.predictor.head.weight, std=1.0)  # make the predictor react to the frame
    grader = FrameGrader(model, ApplyOptions(), smoothing=0.9)
    dark, bright = np.zeros((64, 64, 3), np.uint8), np.full((64, 64, 3), 255, np.uint8)
    grader(dark)
    w_dark = grader.weights.clone()
    grader(bright)
    with torch.no_grad():
        jump = model.weights(torch.ones(1, 3, 64, 64))[0]
    assert float((grader.weights - w_dark).abs().max()) < 0.2 * float((jump - w_dark).abs().max()) + 1e-6


def test_a_damaged_file_in_a_folder_is_skipped_not_fatal(look, photo, tmp_path):
    Image.fromarray(photo).save(tmp_path / "a.png")
    Image.fromarray(photo).save(tmp_path / "a.jpg")  # same stem: both results must survive
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.warns(UserWarning, match="broken.jpg"):
        out = lookgan.apply(look, tmp_path, out=tmp_path / "o", progress=False)
    assert len(out) == 2 and len(set(out)) == 2 and all(p.exists() for p in out)
    with pytest.raises(InputError, match="broken.jpg"):
        lookgan.apply(look, tmp_path / "broken.jpg", out=tmp_path / "o2", progress=False)
