#!/usr/bin/env python3
"""What an enhancer removes: sound types it deletes, and the bands it cuts from clean speech.

Issue 14's near-clean loss comes from speech the model takes for noise. Two views:

- ``--noise POOL`` (and ``--speech POOL``): each clip alone (no speech added, at
  -25 dBFS, its first 4 s) is enhanced and its output energy compared with the input's,
  per sound type of the pool's ``label`` (alert, impact, music, vocal, voice, ...;
  ``speech``: clips of the speech pool, which should pass at 0 dB). Per model and type:
  median output/input level (dB) and the share of clips kept (within 6 dB). Clips are
  drawn once (``--per-type``, seed 0): every model sees the same ones.
- ``--clean-set SET`` (a ``sptk-cli se mix-set`` folder): its clean inputs (keys ending in
  ``-clean``), output/input level per frequency band, for every input that some model
  damages (output SI-SDR < 20 dB), with the input's spectral centroid, and the median
  centroid of the damaged and of the other clean inputs.

    python local/what_it_removes.py --noise corpus/pools/noise --speech corpus/pools/speech \
        --clean-set corpus/dev/dev_all --model shipped=../../toolkit/assets/se --model new=exp/X
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from toolkit.data.audio import load_mono
from toolkit.data.datadir import read_kv
from toolkit.metrics.signal import si_sdr

LEVEL_DBFS = -25.0
SECONDS = 4.0
BANDS_HZ = (0, 500, 1000, 2000, 3000, 4000, 6000, 8000)
BANDS = list(zip(BANDS_HZ[:-1], BANDS_HZ[1:], strict=True))
DAMAGED_DB = 20.0


def _need(path: Path, what: str) -> None:
    if not path.is_file():
        raise SystemExit(f"{path} does not exist: give {what}")


def draw_clips(noise: Path, speech: Path | None, per_type: int) -> dict[str, list[str]]:
    """``{type: [audio path, ...]}``: up to ``per_type`` clips of each noise type (and speech)."""
    for name in ("wav.scp", "label"):
        _need(noise / name, "a noise pool (sptk-cli corpus noise --out DIR)")
    scp, label = read_kv(noise / "wav.scp"), read_kv(noise / "label")
    groups: dict[str, list[str]] = defaultdict(list)
    for key in sorted(scp):
        groups[label.get(key, "unlabelled")].append(scp[key])
    if speech is not None:
        _need(speech / "wav.scp", "a speech pool (sptk-cli corpus speech --out DIR)")
        groups["speech"] = sorted(read_kv(speech / "wav.scp").values())
    rng = np.random.default_rng(0)
    return {t: [paths[i] for i in sorted(rng.choice(len(paths), min(per_type, len(paths)),
                                                    replace=False))]
            for t, paths in sorted(groups.items())}


def kept_db(model, path: str) -> float:
    """Output/input energy in dB of one clip (first 4 s, mono, at -25 dBFS)."""
    from toolkit.se.infer import enhance_array

    x = load_mono(path, 16000)[0][: int(SECONDS * 16000)]
    x = x * (10 ** (LEVEL_DBFS / 20) / (np.sqrt(np.mean(x ** 2)) + 1e-9))
    y, _ = enhance_array(model, x)
    return float(10 * np.log10((np.sum(y ** 2) + 1e-12) / (np.sum(x ** 2) + 1e-12)))


def type_table(models: list, clips: dict[str, list[str]]) -> None:
    print("| type | clips | " + " | ".join(f"{n}: median dB / kept" for n, _ in models) + " |")
    print("|---|---|" + "---|" * len(models))
    for kind, paths in clips.items():
        cells = []
        for _, model in models:
            db = np.array([kept_db(model, p) for p in paths])
            cells.append(f"{np.median(db):+.1f} / {np.mean(db > -6):.2f}")
        print(f"| {kind} | {len(paths)} | " + " | ".join(cells) + " |")


def band_levels(x: np.ndarray, y: np.ndarray) -> tuple[float, list[float], float]:
    """(SI-SDR of y against x, output/input dB per band of BANDS, spectral centroid of x in Hz).

    Both ``(samples,)`` at 16 kHz.
    """
    f = np.fft.rfftfreq(len(x), 1 / 16000)
    px, py = np.abs(np.fft.rfft(x)) ** 2, np.abs(np.fft.rfft(y)) ** 2
    bands = [10 * np.log10((py[m].sum() + 1e-12) / (px[m].sum() + 1e-12))
             for m in ((f >= lo) & (f < hi) for lo, hi in BANDS)]
    mag = np.sqrt(px)  # the centroid weighs the magnitude spectrum, as usual
    return si_sdr(y, x), bands, float((mag * f).sum() / (mag.sum() + 1e-12))


def band_table(models: list, clean_set: Path) -> None:
    from toolkit.se.infer import enhance_array

    _need(clean_set / "wav.scp", "a mixture set (sptk-cli se mix-set)")
    scp = {k: v for k, v in read_kv(clean_set / "wav.scp").items() if k.endswith("-clean")}
    if not scp:
        raise SystemExit(f"{clean_set}/wav.scp has no clean inputs (keys ending in -clean)")
    rows, centroid = [], {}
    for key in sorted(scp):
        x = load_mono(scp[key], 16000)[0]
        per_model = [band_levels(x, enhance_array(model, x)[0]) for _, model in models]
        centroid[key] = per_model[0][2]
        rows.append((key, per_model))
    damaged = {k for k, pm in rows if min(r[0] for r in pm) < DAMAGED_DB}
    heads = [f"{lo / 1000:g}-{hi / 1000:g}" for lo, hi in BANDS]
    print(f"\nclean inputs of {clean_set} that a model damages (SI-SDR < {DAMAGED_DB:g} dB); "
          "output/input dB per band (kHz)\n")
    print("| input | centroid Hz | model | SI-SDR | " + " | ".join(heads) + " |")
    print("|---|---|---|---|" + "---|" * len(heads))
    for key, per_model in rows:
        if key not in damaged:
            continue
        for (name, _), (sdr, bands, cen) in zip(models, per_model, strict=True):
            print(f"| {key} | {cen:.0f} | {name} | {sdr:.1f} | "
                  + " | ".join(f"{b:+.1f}" for b in bands) + " |")
    other = [centroid[k] for k in centroid if k not in damaged]
    print(f"\n{len(damaged)} of {len(centroid)} clean inputs damaged; median centroid "
          f"{np.median([centroid[k] for k in damaged] or [np.nan]):.0f} Hz (damaged) vs "
          f"{np.median(other or [np.nan]):.0f} Hz (the others)")


def main() -> None:
    from toolkit.se.infer import load_enhancer

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--noise", type=Path, help="noise pool (wav.scp, label): the type table")
    ap.add_argument("--speech", type=Path, help="speech pool: a 'speech' row for reference")
    ap.add_argument("--clean-set", type=Path, help="mixture set: the band table")
    ap.add_argument("--model", action="append", required=True, metavar="NAME=DIR",
                    help="packed model or experiment folder (repeatable)")
    ap.add_argument("--per-type", type=int, default=60, help="clips per type (default 60)")
    args = ap.parse_args()
    if args.noise is None and args.clean_set is None:
        raise SystemExit("give --noise POOL, --clean-set SET or both")
    models = []
    for spec in args.model:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"--model {spec!r}: write NAME=DIR")
        models.append((name, load_enhancer(path)[1]))
    if args.noise is not None:
        type_table(models, draw_clips(args.noise, args.speech, args.per_type))
    if args.clean_set is not None:
        band_table(models, args.clean_set)


if __name__ == "__main__":
    main()
