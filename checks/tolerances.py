"""How close an output must be to its golden: defaults, validation and layering.

Tolerances are layered, later wins: built-in defaults < ``golden.json`` "tolerances" <
the recipe's ``check:`` block (when the recipe model has one) < command-line flags. Unknown
keys and wrong types are refused with an error naming the key and the legal ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from comfyreel.compiler.errors import InputError


@dataclass(frozen=True)
class Tolerances:
    """Limits for one output; every field has a default that catches real regressions."""

    min_ssim: float = 0.85  # every frame's luma SSIM (8×8 windows at the analysis size) must reach this
    min_mean_ssim: float = 0.90  # ... and the clip's mean SSIM this
    min_psnr_db: float = 25.0  # every frame's luma PSNR must reach this
    max_delta_e: float = 5.0  # every frame's mean colour difference (CIEDE2000, 8×8-pixel cells) ≤ this
    max_motion_diff: float = 0.15  # frame-to-frame change profile vs the golden's (relative L1) ≤ this
    max_flicker: float = 4.0  # worst frame-to-frame brightness jump the golden lacks (8-bit levels) ≤ this
    frame_count_delta: int = 0  # allowed |actual − golden| frames (0: one dropped frame fails)
    fps_rel: float = 0.001  # allowed relative fps difference
    duration_s: float = 0.1  # allowed duration difference (video and audio), seconds
    audio_required: bool = (
        True  # audio present in the golden must be present in the output (and absent ↔ absent)
    )
    audio_spectrum_db: float = 3.0  # audio (files and tracks): max mean band-energy difference, dB
    codec_must_match: bool = True  # a different video codec (h264 → vp9) is a regression
    analysis_size: int = 256  # longest side of the luma frames compared (0: full size)
    worst_frames: int = 5  # how many worst frames to report

    @classmethod
    def from_dict(
        cls, data: dict[str, Any] | None, *, base: Tolerances | None = None, where: str = "tolerances"
    ) -> Tolerances:
        """``base`` with the keys of ``data`` replaced; refuse unknown keys and bad types."""
        base = base or cls()
        if not data:
            return base
        if not isinstance(data, dict):
            raise InputError(f"{where} must be a mapping, got {type(data).__name__}", anchor=where)
        known = {f.name: f for f in fields(cls)}
        changes: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise InputError(
                    f"unknown tolerance {key!r}",
                    anchor=where,
                    hint="use one of: " + ", ".join(sorted(known)),
                )
            default = getattr(cls(), key)
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise InputError(f"tolerance {key!r} must be true or false, got {value!r}", anchor=where)
            elif isinstance(default, int):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise InputError(f"tolerance {key!r} must be an integer ≥ 0, got {value!r}", anchor=where)
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InputError(f"tolerance {key!r} must be a number, got {value!r}", anchor=where)
            else:
                value = float(value)
            changes[key] = value
        return replace(base, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def diff(self) -> dict[str, Any]:
        """Only the fields that differ from the defaults (what golden.json stores)."""
        default = Tolerances()
        return {k: v for k, v in asdict(self).items() if getattr(default, k) != v}


# Each metric limit: tolerance key → (the metric it bounds in ``Comparison.metrics``, "min" | "max").
# A "min" limit fails when the metric falls below it, a "max" limit when the metric exceeds it.
METRIC_LIMITS: dict[str, tuple[str, str]] = {
    "min_ssim": ("min_ssim", "min"),
    "min_mean_ssim": ("mean_ssim", "min"),
    "min_psnr_db": ("min_psnr_db", "min"),
    "max_delta_e": ("max_delta_e", "max"),
    "max_motion_diff": ("motion_diff", "max"),
    "max_flicker": ("flicker", "max"),
    "audio_spectrum_db": ("audio_spectrum_db", "max"),
}


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """``["min_ssim=0.8", "codec_must_match=false"]`` → a dict for :meth:`Tolerances.from_dict`."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise InputError(
                f"tolerance {item!r} is not KEY=VALUE",
                anchor="--tolerance",
                hint="e.g. --tolerance min_ssim=0.85",
            )
        text = raw.strip().lower()
        value: Any
        if text in ("true", "false"):
            value = text == "true"
        else:
            try:
                value = int(text)
            except ValueError:
                try:
                    value = float(text)
                except ValueError:
                    raise InputError(
                        f"tolerance {key!r}: {raw!r} is not a number", anchor="--tolerance"
                    ) from None
        out[key.strip()] = value
    return out
