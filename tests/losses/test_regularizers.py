import torch

from lookgan.losses.regularizers import lut_monotonicity, lut_smoothness
from lookgan.ops.lut3d import identity_lut, lut_from_function


def test_monotone_luts_cost_nothing_and_reversals_do():
    assert float(lut_monotonicity(identity_lut(9))) == 0.0
    assert float(lut_monotonicity(lut_from_function(lambda c: c ** 3, 9))) == 0.0
    inverted = 1.0 - identity_lut(9)
    assert float(lut_monotonicity(inverted)) > 0.1
    only_blue_reversed = identity_lut(9)
    only_blue_reversed[2] = 1.0 - only_blue_reversed[2]
    assert 0 < float(lut_monotonicity(only_blue_reversed)) < float(lut_monotonicity(inverted))


def test_smoothness_penalises_noise_more_than_a_smooth_change():
    ident = identity_lut(9)
    smooth = lut_from_function(lambda c: c ** 0.8, 9) - ident
    noisy = smooth + 0.05 * torch.randn(smooth.shape, generator=torch.Generator().manual_seed(0))
    assert float(lut_smoothness(torch.zeros_like(ident))) == 0.0
    assert float(lut_smoothness(noisy)) > 5 * float(lut_smoothness(smooth))


def test_batched_luts_are_accepted():
    luts = torch.stack([identity_lut(5), 1 - identity_lut(5)])
    assert float(lut_monotonicity(luts)) > 0
    assert lut_smoothness(luts).shape == ()
