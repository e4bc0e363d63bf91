"""The SRST paper's source domain: LibriSpeech speech and WHAM! noise, prepared by path.

LibriSpeech (Panayotov et al. 2015, CC-BY-4.0) as distributed on openslr.org::

    <librispeech>/<subset>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac
    <librispeech>/<subset>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt

WHAM! noise (Wichern et al. 2019, CC-BY-NC-4.0), ``wham_noise.zip`` unpacked::

    <wham>/{tr,cv,tt}/<name>.wav        (binaural urban babble; averaged to mono)

:func:`prepare` writes two data directories that point at the original files
(nothing is copied): ``OUT/speech`` (``wav.scp``, ``utt2spk``, ``utt2lang`` = en;
no ``text``, so that it combines with the DNS pool, which has none) and
``OUT/noise`` (``wav.scp``, ``label`` = wham, ``utt2origin``). Mix them with the
DNS pools (:mod:`toolkit.corpora.external.dns_challenge`): ``sptk-cli data combine`` of
the two speech pools, then ``sptk-cli se corpus --speech COMBINED
--source-noise OUT/noise --target-noise DNS/noise``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from toolkit.errors import UserError

log = logging.getLogger(__name__)


def scan_librispeech(root: Path, subsets: list[str]) -> dict[str, dict[str, str]]:
    """Files of the speech data directory from the LibriSpeech ``subsets``."""
    wav, spk = {}, {}
    for subset in subsets:
        folder = root / subset
        if not folder.is_dir():
            raise UserError(f"{folder} does not exist; the LibriSpeech root must hold the subset "
                            f"folders (e.g. {root}/train-clean-100/<speaker>/<chapter>/)")
        for trans in sorted(folder.glob("*/*/*.trans.txt")):
            for line in trans.read_text(encoding="utf-8").splitlines():
                key, _, words = line.partition(" ")
                audio = trans.parent / f"{key}.flac"
                if words and audio.is_file():
                    wav[key] = str(audio)
                    spk[key] = f"libri{key.split('-')[0]}"
    if not wav:
        raise UserError(f"no LibriSpeech utterances under {root} ({', '.join(subsets)}): "
                        "expected <subset>/<speaker>/<chapter>/*.trans.txt beside .flac files")
    return {"wav.scp": wav, "utt2spk": spk, "utt2lang": {k: "en" for k in wav}}


def scan_wham(root: Path) -> dict[str, dict[str, str]]:
    """Files of the noise data directory from the WHAM! noise splits."""
    wav, origin = {}, {}
    for split in ("tr", "cv", "tt"):
        for f in sorted((root / split).glob("*.wav")):
            key = f"wham-{split}-{f.stem}"
            wav[key], origin[key] = str(f), f"0 0 {f}"
    if not wav:
        raise UserError(f"no WHAM! noise under {root}: expected tr/ cv/ tt/ folders of .wav")
    return {"wav.scp": wav, "label": {k: "wham" for k in wav}, "utt2origin": origin}


def prepare(path: str | Path, dst: str | Path, wham: str | Path | None = None,
            subsets: list[str] | None = None, overwrite: bool = False) -> Path:
    """Write ``dst/speech`` and ``dst/noise`` (see the module doc).

    Args:
        path: the LibriSpeech root (holds ``train-clean-100/`` ...).
        dst: folder for the two data directories.
        wham: the ``wham_noise`` root (holds ``tr/ cv/ tt/``); required.
        subsets: LibriSpeech subsets to read (default ``train-clean-100``).
        overwrite: redo finished directories.
    """
    from toolkit.data.datadir import write_datadir
    from toolkit.fsutil import skip_if_done

    if wham is None:
        raise UserError("librispeech_wham needs the WHAM! noise folder too: add "
                        "--opt wham=/path/to/wham_noise")
    librispeech, out, subsets = Path(path), Path(dst), subsets or ["train-clean-100"]
    for name, files in (("speech", lambda: scan_librispeech(Path(librispeech), subsets)),
                        ("noise", lambda: scan_wham(Path(wham)))):
        if skip_if_done(out / name, overwrite):
            continue
        scanned = files()
        write_datadir(out / name, scanned, {"sample_rate": 16000, "corpus":
                                            "librispeech" if name == "speech" else "wham"},
                      overwrite=True)
        log.info("%s: %d entries", out / name, len(scanned["wav.scp"]))
    return out
