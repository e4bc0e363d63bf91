"""Data roles each task needs in its data directories (DESIGN.md principle 2).

This table is import-light on purpose: ``sptk-cli data validate --task T``
uses it without importing torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from toolkit.errors import UserError

# Files whose values are audio (checked for readability and sample rate).
AUDIO_ROLES = ("wav.scp", "ref.scp", "speech.scp", "noise.scp", "echo.scp", "vocals.scp",
               "accomp.scp")


@dataclass(frozen=True)
class RoleSpec:
    """Required and optional files of a task's data directory."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)


ROLES: dict[str, RoleSpec] = {
    "tone": RoleSpec(("wav.scp", "label"), ("utt2dur",),
                     "template task: tone-vs-noise classification"),
    "aec": RoleSpec(("wav.scp", "ref.scp"),
                    ("speech.scp", "echo.scp", "noise.scp", "utt2delay", "utt2scenario",
                     "utt2dur", "utt2spk", "utt2lang"),
                    "echo cancellation: wav.scp = microphone, ref.scp = far end"),
    "se": RoleSpec(("wav.scp",), ("speech.scp", "noise.scp", "utt2domain", "utt2snr",
                                  "utt2dur", "utt2spk", "utt2lang"),
                   "speech enhancement: wav.scp = noisy mixture"),
    "aed": RoleSpec(("wav.scp", "label"), ("utt2dur", "utt2fold"),
                    "audio event classification: label = class (or comma-separated classes)"),
    "tts": RoleSpec(("wav.scp", "text", "utt2spk", "utt2lang"), ("utt2dur", "segments"),
                    "text to speech: wav.scp = speech, text = transcript"),
    "svs": RoleSpec(("wav.scp",), ("vocals.scp", "accomp.scp", "utt2dur"),
                    "singing voice separation: wav.scp = mixture"),
}


def role_spec(task: str) -> RoleSpec:
    """The role spec of ``task`` (one-line error listing the known tasks)."""
    try:
        return ROLES[task]
    except KeyError:
        raise UserError(f"unknown task '{task}'; known tasks: {', '.join(sorted(ROLES))}") from None
