"""Video in and out with PyAV (extra ``video``): grade every frame, keep the frame rate and the audio.

Every look kind that restyles photos goes through :func:`apply_video`: it decodes frames as RGB, passes each
through the look's video grader (:meth:`lookgan.kinds.capabilities.Restyler.grader` with ``video=True``: adaptive LUT
looks smooth their weights over time so the grade does not flicker, translators run tiled), and encodes H.264
(yuv420p, CRF 18), while audio packets are copied unchanged (no re-encoding, so no quality loss and no drift).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..core.errors import InputError
from ..core.extras import require
from ..core.options import X264_PRESETS

if TYPE_CHECKING:
    import numpy as np


def _av() -> Any:
    return require("video")




def check_preset(preset: str) -> str:
    """``preset`` if libx264 knows it, else an :class:`InputError` listing the ones it does."""
    if preset not in X264_PRESETS:
        raise InputError(f"--video-preset must be one of {', '.join(X264_PRESETS)}, got {preset!r}")
    return preset


def apply_video(frames: Callable[[np.ndarray], np.ndarray], src: str | Path, dst: str | Path, *,
                progress: bool = True, preset: str = "medium") -> Path:
    """Restyle every frame of ``src`` with ``frames`` (uint8 RGB frame -> frame of the same size, e.g. a
    :meth:`~lookgan.kinds.capabilities.Restyler.grader` with ``video=True``) into ``dst`` (MP4, H.264 CRF 18 with the
    x264 speed ``preset``), keeping frame rate, timing and audio.

    Written to a temporary file beside ``dst`` and renamed at the end, so an interrupted run leaves no broken
    video under the final name."""
    import numpy as np  # here, not at the top: the CLI reads X264_PRESETS from this module for its --help
    from tqdm.auto import tqdm

    check_preset(preset)
    av = _av()
    src, dst = Path(src), Path(dst)
    tmp = dst.with_name(f".{dst.name}.tmp-{os.getpid()}.mp4")
    try:
        inp = av.open(str(src))
    except (av.error.FFmpegError, OSError) as e:
        raise InputError(f"{src}: not a readable video ({e}); check the file") from None
    try:
        if not inp.streams.video:
            raise InputError(f"{src} holds no video stream")
        vin = inp.streams.video[0]
        vin.thread_type = "AUTO"
        rate = vin.average_rate or vin.guessed_rate or 30
        out = av.open(str(tmp), "w", format="mp4")
        try:
            vout = out.add_stream("libx264", rate=rate, options={"crf": "18", "preset": preset})
            vout.width, vout.height = vin.codec_context.width // 2 * 2, vin.codec_context.height // 2 * 2
            vout.pix_fmt = "yuv420p"
            audio = {a.index: out.add_stream_from_template(a) for a in inp.streams.audio}
            total = vin.frames or None
            bar = tqdm(total=total, desc=f"grading {src.name}", unit="frame", disable=not progress)
            for packet in inp.demux(vin, *inp.streams.audio):
                if packet.stream.index in audio:
                    if packet.dts is not None:
                        packet.stream = audio[packet.stream.index]
                        out.mux(packet)
                    continue
                for frame in packet.decode():
                    rgb = frame.to_ndarray(format="rgb24")[: vout.height, : vout.width]
                    graded = av.VideoFrame.from_ndarray(np.ascontiguousarray(frames(rgb)), format="rgb24")
                    graded.pts, graded.time_base = frame.pts, frame.time_base
                    for p in vout.encode(graded):
                        out.mux(p)
                    bar.update(1)
            for p in vout.encode():
                out.mux(p)
            bar.close()
        finally:
            out.close()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        inp.close()
    os.replace(tmp, dst)
    return dst
