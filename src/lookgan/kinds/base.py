"""The method protocol: what every look kind supplies to the one training loop.

A method owns its networks, optimisers, an optional EMA copy and fixed buffers (e.g. the latent batch used for
sample grids). The loop calls :meth:`Method.train_step` once per batch and does everything else itself
(progress, samples, plots, checkpoints, NaN guard, resume), so all methods behave the same.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import torch
from torch import nn

from ..core.config import from_dict
from ..core.options import KindOption
from ..ops.diffaugment import diff_augment
from ..ops.ema import EMA
from .capabilities import CapabilityError, Generator, Restyler
from .look import Look

StopReason = Literal["done", "minutes", "signal", "abort"]


@dataclass
class Progress:
    """What a progress callback receives after every step."""

    step: int
    total: int
    losses: dict[str, float]
    steps_per_s: float
    eta_s: float | None
    elapsed_s: float
    sample_path: Path | None = None
    """Set on the steps where a new sample grid was written."""


@dataclass
class TrainResult:
    """How a run ended and where its outputs are (what the training loop returns, and a kind's own
    :meth:`Method.fit_reference`)."""

    look: Path
    step: int
    stopped: StopReason
    elapsed_s: float
    sample_path: Path | None
    loss_plot: Path | None
    checkpoint: Path | None
    signal: int | None = None
    """The signal number when ``stopped == "signal"``."""
    history: list[dict[str, Any]] = field(default_factory=list, repr=False)


class NonFiniteStepError(RuntimeError):
    """A loss or gradient was NaN/inf; the optimiser step was not taken."""


@dataclass(frozen=True)
class DataSpec:
    """How the loop should prepare a method's training images."""

    load_size: int
    """Shorter side the images are resized to once, when the folder is read."""
    crop_size: int
    """Side of the square crops a batch holds."""
    crop: Literal["random", "center"] = "random"
    flip: bool = True
    min_images: int = 1
    feed: Literal["crops", "frames"] = "crops"
    """What :meth:`Method.train_step` receives: ``crops``, a batch of square crops each step from a resumable
    stream; ``frames``, nothing (``batch`` is None): the whole frames, read at ``load_size``, go to
    :meth:`Method.prepare` once and the kind draws its own batches from them."""


class Method:
    """Base class of every look kind. A kind is declared in the ``lookgan.kinds`` entry-point group (see
    :mod:`lookgan.core.registry`), which sets :attr:`kind`.

    Subclasses set ``Config`` (their config dataclass), :attr:`learns` and :attr:`time_here`, and implement
    ``__init__`` (building ``nets``, ``optimizers``, ``ema``, ``buffers``), :meth:`data_spec`, :meth:`train_step`,
    :meth:`sample`, :meth:`look_tensors`, :meth:`build_inference` and :meth:`open`. See
    ``docs/adding-a-kind.md``.
    """

    kind: ClassVar[str] = ""
    """The kind's name (the entry point's name; set when the kind is loaded)."""
    Config: ClassVar[type]
    learns: ClassVar[str] = ""
    """One sentence for people choosing a kind: what the look captures (CLI help, web app)."""
    time_here: ClassVar[str] = ""
    """How long the default training takes on a 2-core CPU (measured)."""
    needs_photos: ClassVar[bool] = False
    """Whether ``train`` needs a content folder (``--photos``) besides the style images."""
    generates: ClassVar[bool] = False
    """Whether the look makes new images from latents (``lookgan generate``)."""
    accepts_pairs: ClassVar[bool] = False
    """Whether ``train`` can learn from before/after pairs (``--pairs BEFORE_DIR``)."""
    closed_form: ClassVar[bool] = False
    """Fitted in one go by :meth:`prepare` (colour-transfer baselines): no training steps, no checkpoints."""
    train_defaults: ClassVar[dict[str, Any]] = {}
    """Training settings (``TrainConfig`` fields) this kind prefers; a config file and flags override them."""
    sample_nrow: ClassVar[int | None] = None
    """Images per row in sample grids (None: about square)."""
    options: ClassVar[tuple[KindOption, ...]] = ()
    """This kind's own ``lookgan train KIND`` options (the shared ones, ``--steps``, ``--seed`` ..., are the
    CLI's); each sets values of :attr:`Config`."""

    @classmethod
    def config_for(cls, options: dict[str, Any], *, paired: bool = False) -> Any:
        """The kind's config from ``options`` (a config file's ``method:`` section with the flags on top);
        ``paired``: trained from before/after pairs (``--pairs``). Kinds that train differently from pairs
        override this."""
        return from_dict(cls.Config, options)

    def __init__(self, config: Any, *, device: str = "cpu") -> None:
        self.config = config
        self.device = torch.device(device)
        self.nets: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.ema: EMA | None = None
        self.ema_source: str = ""
        self.buffers: dict[str, torch.Tensor] = {}
        self.notes: dict[str, Any] = {}
        """What :meth:`prepare` learnt about the data that a user should see (recorded under look.json's
        ``data``), e.g. the colour prior's evidence that the feed holds a grade."""

    # --- what subclasses implement -------------------------------------------------------------------------
    def data_spec(self) -> DataSpec:
        raise NotImplementedError

    def prepare(self, data: dict[str, Any], *, fresh: bool) -> None:
        """Called once the training images are read (``data``: ``style``, ``content`` or ``pairs`` datasets),
        before training or resuming: fit initialisations (``fresh``) and fixed sample buffers. Default: nothing."""

    def planned_steps(self, steps: int) -> int:
        """How many of the ``steps`` asked for this kind still wants after a fresh :meth:`prepare` (default: all).
        0: what ``prepare`` fitted is the look (the ``lut`` kind where its GAN stage would add nothing), written
        at once without training; say why in :attr:`notes`."""
        return steps

    def train_step(self, batch: torch.Tensor, step: int) -> dict[str, torch.Tensor]:
        """One optimisation step on ``batch`` ``(B, 3, S, S)`` in [-1, 1]; returns detached scalar losses."""
        raise NotImplementedError

    @torch.no_grad()
    def sample(self) -> torch.Tensor:
        """A fixed, deterministic batch of outputs ``(N, 3, H, W)`` in [-1, 1] for sample grids and previews.

        Must not consume global random state: a sample taken mid-run may not change the run."""
        raise NotImplementedError

    @torch.no_grad()
    def eval_sets(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """``(outputs, reals)``: two fixed image sets ``(N, 3, S, S)`` in [0, 1] whose SWD the loop tracks every
        ``eval_every`` steps (see :func:`lookgan.ops.swd.swd`). None (the default): nothing to track.

        Like :meth:`sample`, must be deterministic and leave the global random state alone."""
        return None

    def look_tensors(self) -> dict[str, torch.Tensor]:
        """The tensors a Look keeps (EMA weights for generators), as a flat name -> tensor dict."""
        raise NotImplementedError

    @classmethod
    def build_inference(cls, config: Any, tensors: dict[str, torch.Tensor], *, device: str = "cpu") -> nn.Module:
        """The network a saved look runs, built from its config and ``look_tensors()``, in eval mode."""
        raise NotImplementedError

    @classmethod
    def open(cls, look: Look, *, device: str = "cpu") -> Restyler | Generator:
        """What a saved look of this kind can do: a :class:`~lookgan.kinds.capabilities.Restyler` or a
        :class:`~lookgan.kinds.capabilities.Generator` over :meth:`build_inference`'s network. Every command uses the
        look only through this."""
        raise NotImplementedError(f"the {cls.kind} kind does not say what its looks can do (Method.open)")

    @classmethod
    def fit_reference(cls, reference: Path, *, photos: Path | None, out: Path, options: dict[str, Any],
                      max_pixels: int) -> Any:
        """Kinds that can learn a look from ONE reference photo (``train KIND REF.jpg --photos DIR``) override
        this and return a :class:`~lookgan.kinds.base.TrainResult`; ``options`` are the kind's flags."""
        raise CapabilityError(f"{cls.kind} learns from a folder of images; {reference} is a file. Give STYLE_DIR, "
                              "the folder of images in the look")

    @classmethod
    def from_lut(cls, lut: torch.Tensor, out: str | Path, *, source: str, data: dict[str, Any]) -> Path:
        """Kinds that can hold a given LUT as a look (``train KIND --from-cube FILE``, ``import_lut``) override
        this and write the look at ``out``."""
        raise CapabilityError(f"a {cls.kind} look cannot be made from a LUT file; make a lut look from it")

    # --- the EMA generator as a look ----------------------------------------------------------------------
    def ema_look_tensors(self, prefix: str = "generator") -> dict[str, torch.Tensor]:
        """The EMA network's weights under ``prefix.`` (what generator and translator looks keep)."""
        assert self.ema is not None
        return {f"{prefix}.{k}": v.detach().clone() for k, v in self.ema.module.state_dict().items()}

    @staticmethod
    def load_prefixed(net: nn.Module, tensors: dict[str, torch.Tensor], prefix: str = "generator") -> nn.Module:
        """``net`` with the weights saved under ``prefix.`` by :meth:`ema_look_tensors` (strict: a look that does
        not fit is damaged)."""
        start = f"{prefix}."
        net.load_state_dict({k[len(start):]: v for k, v in tensors.items() if k.startswith(start)}, strict=True)
        return net

    # --- DiffAugment, for every discriminator -------------------------------------------------------------
    def augment(self, images: torch.Tensor) -> torch.Tensor:
        """DiffAugment ``images`` ``(B, 3, H, W)`` in [-1, 1] with the config's ``augment`` policy (none when the
        config has no such field or it is empty). Call it on *every* image a discriminator sees, real and fake."""
        policy = getattr(self.config, "augment", "")
        return diff_augment(images, policy) if policy else images

    # --- shared machinery ----------------------------------------------------------------------------------
    def optimize(self, name: str | tuple[str, ...], loss: torch.Tensor) -> None:
        """Backward ``loss`` into the parameters of optimiser ``name`` (or of several, e.g. a generator and a
        projection head trained by one loss) and step, unless loss or gradients are not finite: then the
        gradients are dropped and :class:`NonFiniteStepError` raised (the loop skips the step).
        """
        opts = [self.optimizers[n] for n in ((name,) if isinstance(name, str) else name)]
        if not torch.isfinite(loss.detach()).all():
            raise NonFiniteStepError(f"{name} loss is {loss.item()}")
        for opt in opts:
            opt.zero_grad(set_to_none=True)
        loss.backward()
        grads = [p.grad for opt in opts for group in opt.param_groups for p in group["params"] if p.grad is not None]
        if grads and not torch.isfinite(torch.stack([g.detach().float().norm() for g in grads]).sum()):
            for opt in opts:
                opt.zero_grad(set_to_none=True)
            raise NonFiniteStepError(f"{name} gradients are not finite")
        for opt in opts:
            opt.step()

    def train_mode(self, training: bool = True) -> None:
        for net in self.nets.values():
            net.train(training)

    def to_channels_last(self) -> None:
        for net in self.nets.values():
            net.to(memory_format=torch.channels_last)
        if self.ema is not None:
            self.ema.module.to(memory_format=torch.channels_last)

    def update_ema(self, step: int) -> None:
        if self.ema is not None:
            self.ema.update(self.nets[self.ema_source], step)

    def buffers_snapshot(self) -> dict[str, dict[str, torch.Tensor]]:
        """Copies of every network's buffers (BatchNorm running statistics), to undo a refused step."""
        return {name: {k: b.detach().clone() for k, b in net.named_buffers()} for name, net in self.nets.items()}

    def restore_buffers(self, snapshot: dict[str, dict[str, torch.Tensor]]) -> None:
        for name, net in self.nets.items():
            for k, b in net.named_buffers():
                b.copy_(snapshot[name][k])

    def parameters_finite(self) -> bool:
        """Whether every weight is finite: a checkpoint is never written from a broken model."""
        mods = list(self.nets.values()) + ([self.ema.module] if self.ema is not None else [])
        return all(bool(torch.isfinite(p).all()) for m in mods for p in m.state_dict().values()
                   if p.is_floating_point())
