import math

import pytest
import torch

from lookgan.ops.color import delta_e2000, delta_e2000_rgb, lab_to_rgb, psnr, rgb_to_lab

# Sharma, Wu & Dalal (2005), Table 1: L1 a1 b1 L2 a2 b2 ΔE00, all 34 published test pairs.
SHARMA = """
50.0000 2.6772 -79.7751 50.0000 0.0000 -82.7485 2.0425
50.0000 3.1571 -77.2803 50.0000 0.0000 -82.7485 2.8615
50.0000 2.8361 -74.0200 50.0000 0.0000 -82.7485 3.4412
50.0000 -1.3802 -84.2814 50.0000 0.0000 -82.7485 1.0000
50.0000 -1.1848 -84.8006 50.0000 0.0000 -82.7485 1.0000
50.0000 -0.9009 -85.5211 50.0000 0.0000 -82.7485 1.0000
50.0000 0.0000 0.0000 50.0000 -1.0000 2.0000 2.3669
50.0000 -1.0000 2.0000 50.0000 0.0000 0.0000 2.3669
50.0000 2.4900 -0.0010 50.0000 -2.4900 0.0009 7.1792
50.0000 2.4900 -0.0010 50.0000 -2.4900 0.0010 7.1792
50.0000 2.4900 -0.0010 50.0000 -2.4900 0.0011 7.2195
50.0000 2.4900 -0.0010 50.0000 -2.4900 0.0012 7.2195
50.0000 -0.0010 2.4900 50.0000 0.0009 -2.4900 4.8045
50.0000 -0.0010 2.4900 50.0000 0.0010 -2.4900 4.8045
50.0000 -0.0010 2.4900 50.0000 0.0011 -2.4900 4.7461
50.0000 2.5000 0.0000 50.0000 0.0000 -2.5000 4.3065
50.0000 2.5000 0.0000 73.0000 25.0000 -18.0000 27.1492
50.0000 2.5000 0.0000 61.0000 -5.0000 29.0000 22.8977
50.0000 2.5000 0.0000 56.0000 -27.0000 -3.0000 31.9030
50.0000 2.5000 0.0000 58.0000 24.0000 15.0000 19.4535
50.0000 2.5000 0.0000 50.0000 3.1736 0.5854 1.0000
50.0000 2.5000 0.0000 50.0000 3.2972 0.0000 1.0000
50.0000 2.5000 0.0000 50.0000 1.8634 0.5757 1.0000
50.0000 2.5000 0.0000 50.0000 3.2592 0.3350 1.0000
60.2574 -34.0099 36.2677 60.4626 -34.1751 39.4387 1.2644
63.0109 -31.0961 -5.8663 62.8187 -29.7946 -4.0864 1.2630
61.2901 3.7196 -5.3901 61.4292 2.2480 -4.9620 1.8731
35.0831 -44.1164 3.7933 35.0232 -40.0716 1.5901 1.8645
22.7233 20.0904 -46.6940 23.0331 14.9730 -42.5619 2.0373
36.4612 47.8580 18.3852 36.2715 50.5065 21.2231 1.4146
90.8027 -2.0831 1.4410 91.1528 -1.6435 0.0447 1.4441
90.9257 -0.5406 -0.9208 88.6381 -0.8985 -0.7239 1.5381
6.7747 -0.2908 -2.4247 5.8714 -0.0985 -2.2286 0.6377
2.0776 0.0795 -1.1350 0.9033 -0.0636 -0.5514 0.9082
"""


def _pairs() -> torch.Tensor:
    return torch.tensor([[float(v) for v in line.split()] for line in SHARMA.strip().splitlines()],
                        dtype=torch.float64)


def test_sharma_reference_pairs_to_four_decimals():
    rows = _pairs()
    assert rows.shape == (34, 7)
    got = delta_e2000(rows[:, :3], rows[:, 3:6])
    torch.testing.assert_close(got, rows[:, 6], atol=5e-5, rtol=0)
    torch.testing.assert_close(delta_e2000(rows[:, 3:6], rows[:, :3]), got, atol=1e-10, rtol=0)  # symmetric


def test_identical_colours_differ_by_zero():
    lab = rgb_to_lab(torch.rand(100, 3, dtype=torch.float64))
    assert float(delta_e2000(lab, lab).abs().max()) == 0.0


@pytest.mark.parametrize("rgb, lab", [((1.0, 1.0, 1.0), (100.0, 0.0, 0.0)), ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),
                                      ((1.0, 0.0, 0.0), (53.2408, 80.0925, 67.2032))])
def test_known_lab_values(rgb, lab):
    got = rgb_to_lab(torch.tensor(rgb, dtype=torch.float64))
    torch.testing.assert_close(got, torch.tensor(lab, dtype=torch.float64), atol=2e-2, rtol=0)


def test_lab_roundtrip():
    rgb = torch.rand(1000, 3, dtype=torch.float64)
    torch.testing.assert_close(lab_to_rgb(rgb_to_lab(rgb)), rgb, atol=1e-9, rtol=0)


def test_rgb_delta_e_and_psnr():
    a = torch.full((4, 4, 3), 0.5, dtype=torch.float64)
    assert float(delta_e2000_rgb(a, a).max()) == 0.0
    assert psnr(a, a) == math.inf
    assert psnr(a, a + 0.1) == pytest.approx(20.0)
