"""Reading the odd files real folders hold: each one either reads correctly or fails naming the file."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

from lookgan.core.errors import ImageTooLargeError, NotEnoughImagesError, UnreadableImageError
from lookgan.data.dataset import ImageFolder
from lookgan.data.images import list_images, read_image
from tests.helpers import linear_rgb_icc, solid, write_bomb_png, write_png16_rgb


def test_rgb_jpeg_png_webp_bmp_tiff_read_alike(tmp_path):
    src = solid((200, 100, 50))
    for ext in ("png", "jpg", "webp", "bmp", "tif"):
        src.save(tmp_path / f"a.{ext}", **({"quality": 95} if ext in ("jpg", "webp") else {}))
        img = read_image(tmp_path / f"a.{ext}")
        assert img.shape == (24, 32, 3) and img.dtype == np.float32
        np.testing.assert_allclose(img.mean(axis=(0, 1)) * 255, (200, 100, 50), atol=3)


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    solid((30, 140, 220)).convert("CMYK").save(tmp_path / "cmyk.jpg", quality=95)
    assert Image.open(tmp_path / "cmyk.jpg").mode == "CMYK"
    img = read_image(tmp_path / "cmyk.jpg")
    np.testing.assert_allclose(img.mean(axis=(0, 1)) * 255, (30, 140, 220), atol=4)


def test_16bit_grey_png_is_scaled_not_clipped(tmp_path):
    arr = np.full((8, 8), 40000, dtype=np.uint16)
    Image.fromarray(arr).save(tmp_path / "grey16.png")
    img = read_image(tmp_path / "grey16.png")
    np.testing.assert_allclose(img, 40000 / 65535, atol=1e-4)


def test_16bit_rgb_png_is_scaled_not_clipped(tmp_path):
    arr = np.zeros((4, 5, 3), dtype=np.uint16)
    arr[...] = (60000, 30000, 1000)
    write_png16_rgb(tmp_path / "rgb16.png", arr)
    img = read_image(tmp_path / "rgb16.png")
    np.testing.assert_allclose(img[0, 0], np.array([60000, 30000, 1000]) / 65535, atol=1 / 255)


def test_palette_transparency_composited_on_white(tmp_path):
    im = Image.new("P", (4, 4), 0)
    im.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    im.putpixel((0, 0), 1)
    im.info["transparency"] = 0  # palette entry 0 (red) is transparent
    im.save(tmp_path / "pal.png", transparency=0)
    img = read_image(tmp_path / "pal.png")
    np.testing.assert_allclose(img[1, 1], (1, 1, 1))  # transparent red -> white
    np.testing.assert_allclose(img[0, 0], (0, 0, 1))  # opaque blue stays blue


def test_rgba_and_la_alpha_composited_on_white(tmp_path):
    Image.new("RGBA", (4, 4), (255, 0, 0, 128)).save(tmp_path / "rgba.png")
    np.testing.assert_allclose(read_image(tmp_path / "rgba.png")[0, 0], (1, 127 / 255, 127 / 255), atol=0.01)
    Image.new("LA", (4, 4), (0, 0)).save(tmp_path / "la.png")
    np.testing.assert_allclose(read_image(tmp_path / "la.png")[0, 0], (1, 1, 1))


def test_grey_becomes_three_equal_channels(tmp_path):
    Image.new("L", (4, 4), 77).save(tmp_path / "g.png")
    np.testing.assert_allclose(read_image(tmp_path / "g.png")[0, 0] * 255, (77, 77, 77), atol=1e-3)


def test_exif_orientation_applied(tmp_path):
    im = Image.new("RGB", (40, 20), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 20, 20))  # stored: red on the left, blue on the right
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    im.save(tmp_path / "rot.jpg", exif=exif, quality=95)
    img = read_image(tmp_path / "rot.jpg")
    assert img.shape == (40, 20, 3)  # portrait once rotated
    assert img[2, 10, 0] > 0.9 and img[2, 10, 2] < 0.1  # the stored left (red) is now at the top
    assert img[37, 10, 2] > 0.9


def test_icc_profile_converted_to_srgb(tmp_path):
    Image.new("RGB", (4, 4), (128, 128, 128)).save(tmp_path / "lin.png", icc_profile=linear_rgb_icc())
    img = read_image(tmp_path / "lin.png")
    # 50 % linear light is ~188 in sRGB; read without the profile it would stay 128.
    np.testing.assert_allclose(img[0, 0] * 255, 188, atol=2)


@pytest.mark.parametrize("make", ["truncated", "empty", "text"])
def test_damaged_files_raise_naming_the_file(tmp_path, make):
    path = tmp_path / f"{make}.jpg"
    if make == "truncated":
        solid((10, 200, 10), (256, 256)).save(path, quality=95)
        path.write_bytes(path.read_bytes()[:600])
    elif make == "empty":
        path.write_bytes(b"")
    else:
        path.write_text("this is not a picture")
    with pytest.raises(UnreadableImageError) as e:
        read_image(path)
    assert str(path) in str(e.value)


def test_bomb_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    write_bomb_png(path, 20000, 20000)  # 400 MP in a few hundred bytes
    assert path.stat().st_size < 2000
    with pytest.raises(ImageTooLargeError) as e:
        read_image(path)
    assert "bomb.png" in str(e.value) and "400 megapixels" in str(e.value)


def test_pixel_limit_is_configurable(tmp_path):
    solid((1, 2, 3), (100, 100)).save(tmp_path / "a.png")
    with pytest.raises(ImageTooLargeError):
        read_image(tmp_path / "a.png", max_pixels=5000)
    write_bomb_png(tmp_path / "big.png", 15000, 15000)  # 225 MP: over Pillow's own limit, under ours when raised
    with pytest.raises(UnreadableImageError):  # gets past the size check, then fails on its bogus pixel data
        read_image(tmp_path / "big.png", max_pixels=300_000_000)


def test_jpeg_draft_keeps_requested_shorter_side(tmp_path):
    solid((5, 5, 5), (800, 600)).save(tmp_path / "big.jpg")
    img = read_image(tmp_path / "big.jpg", min_side=100)
    assert min(img.shape[:2]) >= 100 and img.shape[0] < 600


def test_list_images_recursive_sorted_and_ignores_other_files(tmp_path):
    for rel in ["b/2.png", "a.jpg", "b/1.PNG", "c/d/3.webp", ".hidden/x.png", "._a.jpg", "notes.txt", "x.jpg.json"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    names = [p.relative_to(tmp_path).as_posix() for p in list_images(tmp_path)]
    assert names == ["a.jpg", "b/1.PNG", "b/2.png", "c/d/3.webp"]


def test_folder_skips_damaged_files_with_one_warning_each(tmp_path):
    for i in range(3):
        solid((i * 50, 80, 90)).save(tmp_path / f"ok{i}.png")
    (tmp_path / "zero.jpg").write_bytes(b"")
    (tmp_path / "fake.jpg").write_text("hello")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ds = ImageFolder(tmp_path, load_size=16, progress=False)
    msgs = [str(x.message) for x in w]
    assert len(ds) == 3 and len(ds.skipped) == 2
    assert sum("zero.jpg" in m for m in msgs) == 1 and sum("fake.jpg" in m for m in msgs) == 1
    assert ds.images[0].dtype.is_floating_point is False and min(ds.images[0].shape[1:]) == 16


def test_folder_with_bomb_stops_naming_it(tmp_path):
    solid((1, 2, 3)).save(tmp_path / "ok.png")
    write_bomb_png(tmp_path / "huge.png")
    with pytest.raises(ImageTooLargeError, match="huge.png"):
        ImageFolder(tmp_path, load_size=16, progress=False)


def test_empty_and_too_small_folders(tmp_path):
    (tmp_path / "readme.txt").write_text("no images here")
    with pytest.raises(NotEnoughImagesError, match="holds no images") as e:
        ImageFolder(tmp_path, load_size=16, min_images=5)
    assert e.value.exit_code == 2
    solid((1, 2, 3)).save(tmp_path / "one.png")
    with pytest.raises(NotEnoughImagesError, match="only 1 readable .* at least 5"):
        ImageFolder(tmp_path, load_size=16, min_images=5, progress=False)
