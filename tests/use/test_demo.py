"""The built-in colour demo end to end, on the bundled images, with a few training steps."""
from lookgan.use.demos import build_case, colour_demo

TINY_GAN = {"method": {"lut_size": 9, "pixels": 20000, "ot_iterations": 4, "thumb_size": 64, "width": 4,
                       "disc_width": 8, "disc_size": 32, "load_size": 64, "crop_size": 64},
            "train": {"batch": 4, "sample_every": 2, "checkpoint_every": 2}}


def test_case_split_is_disjoint_and_complete(tmp_path):
    case = build_case(tmp_path / "case")
    names = {sub: {p.stem for p in (case / sub).iterdir()} for sub in ("style", "content", "held", "truth")}
    assert len(names["style"]) == len(names["content"]) == 40 and len(names["held"]) == 14
    assert names["held"] == names["truth"]
    assert not (names["style"] & names["content"]) and not (names["held"] & (names["style"] | names["content"]))


def test_colour_demo_writes_report_cube_and_scores(tmp_path):
    lines = []
    res = colour_demo(tmp_path / "demo", steps=3, minutes=1, gan_config=TINY_GAN, log=lines.append)
    html = res["report"].read_text()
    assert "mean ΔE2000" in html and "optimal transport" in html and "report_files/compare-0.png" in html
    assert (tmp_path / "demo" / "report_files" / "lut-learnt.png").exists()
    assert "LUT_3D_SIZE 9" in res["cube"].read_text()
    m = res["metrics"]
    assert set(m) == {"unchanged photo", "reinhard", "ot", "lut"}
    # every method moves the photos towards the true grade
    assert all(m[k]["delta_e2000"] < m["unchanged photo"]["delta_e2000"] for k in ("reinhard", "ot", "lut"))
    assert len(lines) == 5 and lines[-1].startswith("5/5")
    assert len(list((tmp_path / "demo" / "applied").iterdir())) == 14


TINY_PRESET = {"method": {"lut_size": 9, "frame_size": 32, "batch_frames": 4, "grain_crop": 48, "grain_images": 6,
                          "auto_steps": 2, "n_samples": 2, "grain_every": 2, "ot_iterations": 3, "pixels": 5000},
               "train": {"sample_every": 2, "checkpoint_every": 2}}


def test_preset_demo_writes_report_script_and_scores(tmp_path):
    from lookgan.use.demos import DEMOS, preset_demo

    lines = []
    res = preset_demo(tmp_path / "demo", steps=3, minutes=1, preset_config=TINY_PRESET, log=lines.append)
    html = res["report"].read_text()
    assert "vignette error" in html and "global optimal-transport LUT" in html and "grain." in html
    assert (tmp_path / "demo" / "report_files" / "preset" / "report_files" / "frame-and-grain.png").exists()
    assert "geq=" in res["script"].read_text() and res["script"].with_suffix(".cube").exists()
    m = res["metrics"]
    assert set(m) == {"unchanged photo", "ot", "preset"}
    assert all(m[k]["delta_e2000"] < m["unchanged photo"]["delta_e2000"] for k in ("ot", "preset"))
    # even 3 steps find the vignette from the radial profiles (closed-form start), which a global LUT cannot
    assert m["preset"]["radial_l_truth"] < 0.6 * m["ot"]["radial_l_truth"]
    assert len(lines) == 5 and lines[-1].startswith("5/5") and "preset" in DEMOS
    assert len(list((tmp_path / "demo" / "applied").iterdir())) == 14
