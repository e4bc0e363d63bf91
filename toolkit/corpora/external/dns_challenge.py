"""The SRST paper's target domain: DNS Challenge clean speech and noise, prepared by path.

The Deep Noise Suppression Challenge (Reddy et al. 2020; ICASSP 2021 edition for
the non-English read speech; CC-BY-4.0 and per-source licences) as its download
scripts unpack it, either layout::

    <dns>/clean/{french_data,german_speech,italian_speech,russian_speech,
                 spanish_speech,mandarin_speech,read_speech,...}/**/*.wav
    <dns>/noise/**/*.wav
    <dns>/clean_fullband/..., <dns>/noise_fullband/...     (fullband releases, 48 kHz)

The language comes from the clean sub-folder's name (``french`` -> fr, ``german``
-> de, ``italian`` -> it, ``russian`` -> ru, ``spanish`` -> es, ``mandarin`` or
``chinese`` -> zh, ``read_speech``/``emotional``/``vctk`` -> en); the speaker
from ``reader_NNNNN`` in the file name when present, else the sub-folder.
:func:`prepare` writes ``OUT/speech`` (``wav.scp``, ``utt2spk``, ``utt2lang``)
and ``OUT/noise`` (``wav.scp``, ``label`` = dns, ``utt2origin``), pointing at the
original files; audio at other rates is resampled when loaded.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from toolkit.errors import UserError

log = logging.getLogger(__name__)
LANG_PATTERNS = (("french", "fr"), ("german", "de"), ("italian", "it"), ("russian", "ru"),
                 ("spanish", "es"), ("mandarin", "zh"), ("chinese", "zh"),
                 ("read_speech", "en"), ("emotional", "en"), ("vctk", "en"))


def _first(root: Path, names: tuple[str, ...]) -> Path | None:
    return next((root / n for n in names if (root / n).is_dir()), None)


def lang_of(folder: str) -> str | None:
    """ISO code from a DNS clean sub-folder name (None when unknown)."""
    low = folder.lower()
    return next((code for pat, code in LANG_PATTERNS if pat in low), None)


def scan(root: Path, langs: list[str]) -> tuple[dict, dict]:
    """(speech files, noise files) of the data directories."""
    clean = _first(root, ("clean", "clean_fullband"))
    noise = _first(root, ("noise", "noise_fullband"))
    if clean is None or noise is None:
        raise UserError(f"{root} has no clean/ and noise/ (or clean_fullband/, noise_fullband/) "
                        "folders; give the DNS Challenge 'datasets' folder")
    wav, spk, lang = {}, {}, {}
    for sub in sorted(p for p in clean.iterdir() if p.is_dir()):
        code = lang_of(sub.name)
        if code is None or code not in langs:
            continue
        for f in sorted(sub.rglob("*.wav")):
            m = re.search(r"reader_(\d+)", f.stem)
            speaker = f"dns-{code}-{m.group(1) if m else sub.name}"
            key = f"{speaker}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', f.stem)}"
            wav[key], spk[key], lang[key] = str(f), speaker, code
    if not wav:
        raise UserError(f"no clean speech in languages {','.join(langs)} under {clean}")
    nwav = {f"dns-noise-{re.sub(r'[^A-Za-z0-9_.-]+', '_', f.stem)}": str(f)
            for f in sorted(noise.rglob("*.wav"))}
    if not nwav:
        raise UserError(f"no .wav noise files under {noise}")
    speech = {"wav.scp": wav, "utt2spk": spk, "utt2lang": lang}
    noises = {"wav.scp": nwav, "label": {k: "dns" for k in nwav},
              "utt2origin": {k: f"0 0 {v}" for k, v in nwav.items()}}
    return speech, noises


DEFAULT_LANGS = ["fr", "de", "it", "zh", "ru", "es"]


def prepare(path: str | Path, dst: str | Path, langs: list[str] | None = None,
            overwrite: bool = False) -> Path:
    """Write ``dst/speech`` and ``dst/noise`` (see the module doc).

    Args:
        path: the DNS Challenge ``datasets`` folder (holds ``clean/`` and ``noise/``).
        dst: folder for the two data directories.
        langs: languages to keep (default: the SRST paper's fr, de, it, zh, ru, es).
        overwrite: redo finished directories.
    """
    from toolkit.data.datadir import write_datadir
    from toolkit.fsutil import is_done

    dns, out, langs = Path(path), Path(dst), langs or DEFAULT_LANGS
    if is_done(out / "speech") and is_done(out / "noise") and not overwrite:
        log.info("%s is complete; skipping (use --overwrite to redo)", out)
        return out
    speech, noise = scan(Path(dns), langs)
    for name, files in (("speech", speech), ("noise", noise)):
        write_datadir(out / name, files, {"sample_rate": 16000, "corpus": "dns"}, overwrite=True)
        log.info("%s: %d entries", out / name, len(files["wav.scp"]))
    return out
