"""Losses that live outside the networks and take explicit logits or features."""
from .adversarial import GAN_LOSSES, d_loss, g_loss

__all__ = ["GAN_LOSSES", "d_loss", "g_loss"]
