"""FID/KID math on known Gaussians, the FID Inception architecture with random weights, and the offline
behaviour when the real weights are not there."""
from __future__ import annotations

import io
import pickle
import urllib.error

import numpy as np
import pytest
import scipy.linalg
import torch
from safetensors.torch import save_file

from lookgan.core.errors import InputError
from lookgan.use.eval import inception as inc
from lookgan.use.eval.fid_kid import _mmd2_unbiased, fid_from_features, frechet_distance, kid_from_features


def closed_form_fid_diagonal(mu1, var1, mu2, var2) -> float:
    return float((mu1 - mu2).square().sum() + (var1 + var2 - 2 * (var1 * var2).sqrt()).sum())


def test_frechet_distance_of_diagonal_gaussians_is_the_closed_form():
    f64 = {"dtype": torch.float64}
    mu1, mu2 = torch.tensor([0.0, 1.0, -2.0], **f64), torch.tensor([1.0, 1.0, 0.5], **f64)
    v1, v2 = torch.tensor([1.0, 4.0, 0.25], **f64), torch.tensor([2.0, 1.0, 0.25], **f64)
    expected = closed_form_fid_diagonal(mu1, v1, mu2, v2)
    assert frechet_distance(mu1, torch.diag(v1), mu2, torch.diag(v2)) == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_matches_scipy_sqrtm_for_full_covariances():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(6, 6, generator=g, dtype=torch.float64), torch.randn(6, 6, generator=g, dtype=torch.float64)
    s1, s2 = a @ a.T + 0.1 * torch.eye(6, dtype=torch.float64), b @ b.T
    mu1, mu2 = torch.randn(6, generator=g, dtype=torch.float64), torch.randn(6, generator=g, dtype=torch.float64)
    covmean = scipy.linalg.sqrtm(s1.numpy() @ s2.numpy()).real
    expected = float(((mu1 - mu2) ** 2).sum() + s1.trace() + s2.trace() - 2 * np.trace(covmean))
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)


def test_fid_of_a_set_with_itself_is_zero_and_samples_approach_the_closed_form():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(300, 8, generator=g, dtype=torch.float64)
    assert fid_from_features(x, x) == pytest.approx(0.0, abs=1e-8)
    mu, std = torch.full((4,), 0.5, dtype=torch.float64), torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64)
    a = torch.randn(40000, 4, generator=g, dtype=torch.float64)
    b = torch.randn(40000, 4, generator=g, dtype=torch.float64) * std + mu
    expected = closed_form_fid_diagonal(torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64),
                                        mu, std ** 2)
    assert fid_from_features(a, b) == pytest.approx(expected, rel=0.03)


def test_kid_is_the_unbiased_mmd_of_a_direct_double_loop():
    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(5, 3, generator=g, dtype=torch.float64), torch.randn(6, 3, generator=g, dtype=torch.float64)

    def k(u, v):
        return float((u @ v / 3 + 1) ** 3)

    xx = sum(k(x[i], x[j]) for i in range(5) for j in range(5) if i != j) / 20
    yy = sum(k(y[i], y[j]) for i in range(6) for j in range(6) if i != j) / 30
    xy = sum(k(x[i], y[j]) for i in range(5) for j in range(6)) / 30
    assert _mmd2_unbiased(x, y) == pytest.approx(xx + yy - 2 * xy, rel=1e-10)


def test_kid_is_near_zero_for_one_distribution_and_positive_for_two():
    g = torch.Generator().manual_seed(3)
    a, b = torch.randn(400, 16, generator=g), torch.randn(400, 16, generator=g)
    same, same_std = kid_from_features(a, b, subsets=20, subset_size=100)
    shifted, _ = kid_from_features(a, b + 0.5, subsets=20, subset_size=100)
    assert abs(same) < 3 * same_std + 1e-3
    assert shifted > 10 * abs(same) and shifted > 0
    assert kid_from_features(a, b, subsets=5, subset_size=100) == kid_from_features(a, b, subsets=5, subset_size=100)


# --- the network and its weights ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def random_inception() -> inc.FIDInceptionV3:
    torch.manual_seed(0)
    return inc.FIDInceptionV3().eval()


def test_fid_inception_has_pytorch_fids_layout(random_inception):
    state = random_inception.state_dict()
    assert tuple(state["Conv2d_1a_3x3.conv.weight"].shape) == (32, 3, 3, 3)
    assert tuple(state["Mixed_6b.branch7x7_2.conv.weight"].shape) == (128, 128, 1, 7)
    assert tuple(state["Mixed_7c.branch_pool.conv.weight"].shape) == (192, 2048, 1, 1)
    assert tuple(state["fc.weight"].shape) == (1008, 2048)
    assert "Conv2d_1a_3x3.bn.running_var" in state and not any("AuxLogits" in k for k in state)
    # torchvision's Inception-v3 has 27,161,264 parameters; minus its auxiliary classifier (3,326,696) and with
    # the FID file's 1008-way classifier instead of 1000 (+16,392): 23,850,960.
    assert sum(p.numel() for p in random_inception.parameters()) == 23_850_960
    with torch.no_grad():
        feats = random_inception(torch.rand(2, 3, 64, 80))
    assert feats.shape == (2, 2048) and torch.isfinite(feats).all()


def test_weights_load_from_pth_and_safetensors_and_wrong_files_are_refused(tmp_path, random_inception):
    state = random_inception.state_dict()
    torch.save(state, tmp_path / "w.pth")
    save_file({k: v.contiguous() for k, v in state.items()}, str(tmp_path / "w.safetensors"))
    x = torch.rand(1, 3, 80, 80)
    with torch.no_grad():
        ref = random_inception(x)
        for name in ("w.pth", "w.safetensors"):
            assert torch.allclose(inc.load_inception(tmp_path / name)(x), ref, atol=1e-5)
    partial = {k: v for k, v in state.items() if not k.startswith("Mixed_7c")}
    torch.save(partial, tmp_path / "partial.pth")
    with pytest.raises(InputError, match="not the FID Inception network.*missing: Mixed_7c"):
        inc.load_inception(tmp_path / "partial.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="junk.pth: not a readable"):
        inc.load_inception(tmp_path / "junk.pth")


class _Payload:
    def __reduce__(self):
        return (print, ("PWNED: unpickled code ran",))


def test_a_pickle_payload_is_refused_without_running(tmp_path, capsys):
    buf = io.BytesIO()
    torch.save({"x": _Payload()}, buf)
    (tmp_path / "evil.pth").write_bytes(buf.getvalue())
    with pytest.raises(InputError, match="not a readable"):
        inc.load_inception(tmp_path / "evil.pth")
    assert "PWNED" not in capsys.readouterr().out
    assert pickle  # the payload above is a real pickle reduce hook


def test_weights_are_found_by_argument_environment_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LOOKGAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("LOOKGAN_INCEPTION", raising=False)
    path, why = inc.find_weights()
    assert path is None and "--inception PATH" in why and "LOOKGAN_INCEPTION" in why and "FID/KID skipped" in why
    with pytest.raises(InputError, match="no such file"):
        inc.find_weights(tmp_path / "missing.pth")
    (tmp_path / "cache").mkdir()
    cached = tmp_path / "cache" / inc.WEIGHTS_NAME
    cached.write_bytes(b"x")
    assert inc.find_weights()[0] == cached
    given = tmp_path / "mine.pth"
    given.write_bytes(b"x")
    monkeypatch.setenv("LOOKGAN_INCEPTION", str(given))
    assert inc.find_weights() == (given, "LOOKGAN_INCEPTION")


def test_download_is_verified_and_explains_when_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("LOOKGAN_CACHE", str(tmp_path))

    def offline(*a, **k):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    with pytest.raises(InputError, match="could not download.*--inception PATH"):
        inc.download_weights()

    class Tampered(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr("urllib.request.urlopen", lambda *a, **k: Tampered(b"evil weights"))
    with pytest.raises(InputError, match="refusing it"):
        inc.download_weights()
    assert not (tmp_path / inc.WEIGHTS_NAME).exists()
