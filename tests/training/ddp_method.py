"""A deterministic, BatchNorm-free method for the distributed tests (imported only inside their subprocesses, so
the registry of the test process itself never sees it)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from lookgan.core.registry import register
from lookgan.kinds.base import DataSpec, Method


@dataclass
class LinearConfig:
    size: int = 16


@register("test-linear")
class LinearMethod(Method):
    """A 1x1 convolution learning to swap colour channels; plain SGD, no randomness in the step."""

    Config = LinearConfig

    def __init__(self, config: LinearConfig, *, device: str = "cpu") -> None:
        super().__init__(config, device=device)
        self.nets["net"] = nn.Conv2d(3, 3, 1).to(self.device)
        self.optimizers["net"] = torch.optim.SGD(self.nets["net"].parameters(), lr=0.2)

    def data_spec(self) -> DataSpec:
        return DataSpec(load_size=self.config.size, crop_size=self.config.size, crop="center", flip=False,
                        min_images=2)

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, torch.Tensor]:
        loss = (self.nets["net"](batch) - batch.flip(1)).pow(2).mean()
        self.optimize("net", loss)
        return {"mse": loss.detach()}

    @torch.no_grad()
    def sample(self) -> torch.Tensor:
        return torch.zeros(1, 3, 8, 8)

    def look_tensors(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.nets["net"].state_dict().items()}

    @classmethod
    def build_inference(cls, config: Any, tensors: dict[str, torch.Tensor], *, device: str = "cpu") -> nn.Module:
        net = nn.Conv2d(3, 3, 1)
        net.load_state_dict(tensors)
        return net.eval()
