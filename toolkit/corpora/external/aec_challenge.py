"""The ICASSP/INTERSPEECH AEC Challenge datasets (Microsoft), given by path.

The challenge distributes (https://github.com/microsoft/AEC-Challenge):

- real recordings, one folder per set, files named
  ``<clip id>_<scenario>_lpb.wav`` (far end / loopback) and
  ``<clip id>_<scenario>_mic.wav`` (microphone), where the scenario is
  ``farend-singletalk``, ``nearend-singletalk``, ``doubletalk`` (possibly with
  ``-with-movement``, ``-nonlinear`` ...); blind test sets use the same names;
- the synthetic set: ``synthetic/farend_speech/farend_speech_fileid_<N>.wav``,
  ``nearend_mic_signal/nearend_mic_fileid_<N>.wav``,
  ``nearend_speech/nearend_speech_fileid_<N>.wav``,
  ``echo_signal/echo_fileid_<N>.wav`` and ``meta.csv`` (``fileid``, ``ser``,
  ``is_farend_nonlinear``, ``is_farend_noisy``, ``is_nearend_noisy``, ...).

:func:`prepare` writes a data directory referring to the files in place:
``wav.scp`` (mic), ``ref.scp`` (far end), and for the synthetic set
``speech.scp`` and ``echo.scp``; ``utt2scenario`` (fest | nest | dt) where the
file name tells it (real sets) or from the signals (synthetic: a near end with
no energy is far-end single talk; otherwise double talk). Keys are the clip
ids (real) or ``fileid<N>`` (synthetic), zero-padded so they sort numerically.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from toolkit.errors import UserError

log = logging.getLogger(__name__)
REAL = re.compile(r"^(?P<clip>.+?)_(?P<scen>[a-z-]+)_(?P<role>lpb|mic)\.wav$")
SYN = re.compile(r"fileid_(\d+)\.wav$")


def scenario_of(name: str) -> str | None:
    """fest / nest / dt from a challenge scenario string (None if unknown)."""
    if "farend" in name and "single" in name:
        return "fest"
    if "nearend" in name and "single" in name:
        return "nest"
    if "doubletalk" in name:
        return "dt"
    return None


def scan_real(src: Path) -> dict[str, dict[str, str]]:
    """Pairs ``*_lpb.wav`` / ``*_mic.wav`` anywhere under ``src``."""
    pairs: dict[str, dict[str, str]] = {}
    for p in sorted(src.rglob("*.wav")):
        m = REAL.match(p.name)
        if m:
            key = f"{m['clip']}_{m['scen']}".replace(" ", "_")
            pairs.setdefault(key, {"scen": m["scen"]})[m["role"]] = str(p.resolve())
    return {k: v for k, v in pairs.items() if "lpb" in v and "mic" in v}


def scan_synthetic(src: Path) -> dict[str, dict[str, str]]:
    """Clips of the synthetic set by file id."""
    folders = {"farend_speech": "lpb", "nearend_mic_signal": "mic", "nearend_speech": "near",
               "echo_signal": "echo"}
    clips: dict[str, dict[str, str]] = {}
    for folder, role in folders.items():
        for p in sorted((src / folder).glob("*.wav")) if (src / folder).is_dir() else []:
            m = SYN.search(p.name)
            if m:
                clips.setdefault(f"fileid{int(m[1]):06d}", {})[role] = str(p.resolve())
    return {k: v for k, v in clips.items() if "lpb" in v and "mic" in v}


def prepare(path: str | Path, dst: str | Path, subset: str = "auto",
            overwrite: bool = False) -> Path:
    """Write the data directory of an AEC Challenge folder (see the module doc).

    Args:
        path: a real set folder (``*_lpb.wav`` / ``*_mic.wav``) or ``synthetic/``.
        dst: the data directory to write.
        subset: ``real``, ``synthetic`` or ``auto`` (detected from the folders).
        overwrite: redo a finished directory.
    """
    from toolkit.data.datadir import write_datadir
    from toolkit.fsutil import skip_if_done

    src, out = Path(path), Path(dst)
    if not src.is_dir():
        raise UserError(f"{src} is not a folder; give the AEC Challenge datasets folder "
                        "(real *_lpb.wav/*_mic.wav or synthetic/)")
    if skip_if_done(out, overwrite):
        return out
    if subset == "auto":
        subset = "synthetic" if (src / "nearend_mic_signal").is_dir() else "real"
    if subset not in ("real", "synthetic"):
        raise UserError(f"subset {subset}: use real, synthetic or auto")
    clips = scan_real(src) if subset == "real" else scan_synthetic(src)
    if not clips:
        raise UserError(f"{src} holds no AEC Challenge {subset} clips (expected "
                        + ("<id>_<scenario>_lpb.wav and _mic.wav" if subset == "real" else
                           "nearend_mic_signal/ and farend_speech/ with *_fileid_<N>.wav") + ")")
    files: dict[str, dict[str, str]] = {"wav.scp": {}, "ref.scp": {}, "utt2scenario": {}}
    for key, c in clips.items():
        files["wav.scp"][key], files["ref.scp"][key] = c["mic"], c["lpb"]
        if subset == "real":
            scen = scenario_of(c["scen"])
        else:
            scen = _synthetic_scenario(c)
            for role, name in (("near", "speech.scp"), ("echo", "echo.scp")):
                if role in c:
                    files.setdefault(name, {})[key] = c[role]
        if scen:
            files["utt2scenario"][key] = scen
    for name in ("speech.scp", "echo.scp"):
        if name in files and len(files[name]) != len(clips):
            log.warning("%s: %d of %d clips lack %s; dropped from the directory", src,
                        len(clips) - len(files[name]), len(clips), name)
            del files[name]
    if len(files["utt2scenario"]) != len(clips):
        del files["utt2scenario"]
    write_datadir(out, files, {"sample_rate": 16000, "task": "aec", "corpus": "aec-challenge",
                               "subset": subset, "source": str(src.resolve())},
                  overwrite=True)
    log.info("%s: %d %s clips", out, len(clips), subset)
    return out


def _synthetic_scenario(clip: dict[str, str]) -> str:
    """fest when the near-end speech is silent, else dt."""
    import numpy as np

    from toolkit.data.audio import load_mono

    if "near" not in clip:
        return "dt"
    near = load_mono(clip["near"])[0]
    return "fest" if float(np.sqrt(np.mean(near**2))) < 1e-4 else "dt"
