"""Audio event corpora on disk -> one data directory (``wav.scp``, ``label``, ``utt2fold``).

Layouts (``--layout``, or ``auto``: detected in this order):

``esc50``
    ESC-50 as released (Piczak 2015): ``audio/<fold>-<freesound id>-<take>-<target>.wav``
    and ``meta/esc50.csv`` (``filename,fold,target,category,esc10,src_file,take``);
    2000 5-s clips, 50 classes, 5 folds. ``esc10_only`` keeps the ESC-10 subset.
``esc10``
    The ESC-10 release: ``"<NNN> - <Class name>/<fold>-<freesound id>-<take>.ogg"``
    (10 classes, 5 folds; class names become ``dog_bark`` etc.).
``datadir``
    A Kaldi data directory that already has ``wav.scp`` and ``label`` (used as is).
``csv``
    A multi-label or single-label csv (VGGSound / AudioSet style) and a folder of audio:
    a header naming a file column (``file``, ``filename``, ``path``, ``ytid``/``YTID``)
    and a label column (``labels``, ``label``, ``positive_labels``, ``category``), with an
    optional ``split``/``fold`` column; labels inside a cell are separated by commas.
    VGGSound's header-less ``ytid,start,label,split`` rows are read too (file
    ``<ytid>_<start:06d>.*``), and AudioSet's ``# YTID, start_seconds, end_seconds,
    positive_labels`` rows (file ``<YTID>_<start>.*``; machine ids are mapped to names
    with ``class_labels_indices.csv`` next to the csv when present).
``folders``
    Folder per class: ``<root>/<class>/**/*.{wav,flac,ogg,mp3,opus}``.

Class names are made key-safe: lower case, runs of anything but letters, digits, ``-``
and ``_`` become ``_`` (``Dog bark`` -> ``dog_bark``).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from toolkit.errors import UserError

AUDIO_EXT = (".wav", ".flac", ".ogg", ".mp3", ".opus")
ESC10_DIR = re.compile(r"^(\d{3}) - (.+)$")
ESC_FILE = re.compile(r"^(\d+)-(\w+)-([A-Za-z])(?:-\d+)?$")
LAYOUTS = ("auto", "esc50", "esc10", "datadir", "csv", "folders")


def class_name(name: str) -> str:
    """A label usable in key-value files: ``"Dog bark" -> "dog_bark"``."""
    return re.sub(r"[^0-9a-z_-]+", "_", name.strip().lower()).strip("_") or "unknown"


def _key(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.-]+", "_", text).strip("_")


def detect_layout(src: Path) -> str:
    """Which layout ``src`` is in (see the module docstring)."""
    if src.is_file() and src.suffix.lower() == ".csv":
        return "csv"
    if not src.is_dir():
        raise UserError(f"corpus {src} does not exist; give a folder (or a .csv)")
    if (src / "meta" / "esc50.csv").is_file():
        return "esc50"
    if (src / "wav.scp").is_file() and (src / "label").is_file():
        return "datadir"
    subdirs = [p for p in src.iterdir() if p.is_dir()]
    if subdirs and all(ESC10_DIR.match(p.name) for p in subdirs):
        return "esc10"
    if subdirs:
        return "folders"
    raise UserError(f"{src}: cannot tell its layout (no meta/esc50.csv, no wav.scp+label, no "
                    "class folders); pass --layout")


def read_corpus(src: str | Path, layout: str = "auto", esc10_only: bool = False,
                audio_root: str | Path | None = None) -> dict[str, dict[str, str]]:
    """The data directory files of a corpus: ``{"wav.scp", "label"[, "utt2fold"]}``."""
    src = Path(src).resolve()
    if layout not in LAYOUTS:
        raise UserError(f"layout {layout}: choose one of {', '.join(LAYOUTS)}")
    if layout == "auto":
        layout = detect_layout(src)
    files: dict[str, dict[str, str]] = {"wav.scp": {}, "label": {}, "utt2fold": {}}
    if layout == "esc50":
        _esc50(src, files, esc10_only)
    elif layout == "esc10":
        _esc10(src, files)
    elif layout == "folders":
        _folders(src, files)
    elif layout == "csv":
        _csv(src, Path(audio_root).resolve() if audio_root else src.parent, files)
    else:
        from toolkit.data.datadir import DataDir

        d = DataDir(src)
        files = {"wav.scp": d.read("wav.scp"), "label": d.read("label"),
                 "utt2fold": d.read("utt2fold") if d.has("utt2fold") else {}}
    if not files["wav.scp"]:
        raise UserError(f"{src}: no audio found in the {layout} layout")
    if not files["utt2fold"]:
        files.pop("utt2fold")
    return files


def _esc50(src: Path, files: dict, esc10_only: bool) -> None:
    meta = src / "meta" / "esc50.csv"
    with open(meta, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    need = {"filename", "fold", "category"}
    if not rows or not need <= set(rows[0]):
        raise UserError(f"{meta}: expected the columns {', '.join(sorted(need))}")
    for n, row in enumerate(rows, 2):
        if esc10_only and str(row.get("esc10", "")).lower() not in ("true", "1"):
            continue
        path = src / "audio" / row["filename"]
        if not path.is_file():
            raise UserError(f"{meta} line {n}: {path} does not exist")
        key = _key(Path(row["filename"]).stem)
        files["wav.scp"][key] = str(path)
        files["label"][key] = class_name(row["category"])
        files["utt2fold"][key] = row["fold"]


def _esc10(src: Path, files: dict) -> None:
    for d in sorted(src.iterdir()):
        m = ESC10_DIR.match(d.name)
        if not d.is_dir() or not m:
            continue
        for path in sorted(p for p in d.iterdir() if p.suffix.lower() in AUDIO_EXT):
            fm = ESC_FILE.match(path.stem)
            if not fm:
                raise UserError(f"{path}: not named <fold>-<id>-<take> as in the ESC release")
            key = _key(path.stem)
            if key in files["wav.scp"]:
                raise UserError(f"{path}: clip {key} appears in two class folders")
            files["wav.scp"][key] = str(path)
            files["label"][key] = class_name(m.group(2))
            files["utt2fold"][key] = fm.group(1)


def _folders(src: Path, files: dict) -> None:
    for d in sorted(p for p in src.iterdir() if p.is_dir()):
        label = class_name(d.name)
        for path in sorted(p for p in d.rglob("*") if p.suffix.lower() in AUDIO_EXT):
            key = _key(f"{label}-{path.relative_to(d).with_suffix('').as_posix()}")
            files["wav.scp"][key] = str(path)
            files["label"][key] = label



def _csv(path: Path, root: Path, files: dict) -> None:
    index = {p.stem: p for p in root.rglob("*") if p.suffix.lower() in AUDIO_EXT}
    names = _audioset_names(path.parent / "class_labels_indices.csv")
    with open(path, newline="", encoding="utf-8") as f:
        lines = [ln for ln in f if ln.strip()]
    if lines and lines[0].startswith("#"):  # AudioSet: comment lines (one names columns)
        header_line = next((ln.lstrip("# ").strip() for ln in lines
                            if ln.startswith("#") and "YTID" in ln), "YTID,start,end,labels")
        head = [h.strip() for h in next(csv.reader([header_line]))]
        body = [ln for ln in lines if not ln.startswith("#")]
    else:
        first = [h.strip().lower() for h in next(csv.reader([lines[0]]))] if lines else []
        known = {"file", "filename", "path", "ytid", "labels", "label", "positive_labels"}
        head = first if set(first) & known else ["ytid", "start", "label", "split"]
        body = lines[1:] if set(first) & known else lines
    cols = {h.lower(): i for i, h in enumerate(head)}
    fcol = next((cols[c] for c in ("file", "filename", "path", "ytid") if c in cols), None)
    lcol = next((cols[c] for c in ("labels", "label", "positive_labels", "category")
                 if c in cols), None)
    scol = next((cols[c] for c in ("split", "fold") if c in cols), None)
    start = next((cols[c] for c in ("start", "start_seconds") if c in cols), None)
    if fcol is None or lcol is None:
        raise UserError(f"{path}: needs a file column (file, filename, path, ytid) and a "
                        "label column (labels, label, positive_labels, category)")
    missing = 0
    for n, row in enumerate(csv.reader(body, skipinitialspace=True), 2):
        if len(row) <= max(fcol, lcol):
            raise UserError(f"{path} line {n}: {len(row)} columns, expected {len(head)}")
        name = row[fcol].strip()
        stem = Path(name).stem
        if start is not None and "ytid" in cols:
            sec = float(row[start])
            cands = [f"{stem}_{int(sec):06d}", f"{stem}_{sec:.3f}", f"{stem}_{int(sec)}",
                     f"{stem}_{sec}", stem]
            audio = next((index[c] for c in cands if c in index), None)
        else:
            audio = (root / name) if (root / name).is_file() else index.get(stem)
        if audio is None:
            missing += 1
            continue
        labels = [class_name(names.get(x.strip(), x)) for x in row[lcol].split(",") if x.strip()]
        key = _key(audio.stem)
        files["wav.scp"][key] = str(audio)
        files["label"][key] = ",".join(dict.fromkeys(labels))
        if scol is not None:
            files["utt2fold"][key] = row[scol].strip()
    if missing:
        import logging

        logging.getLogger(__name__).warning("%s: %d rows have no audio under %s (skipped)",
                                            path, missing, root)


def _audioset_names(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        return {r["mid"]: r["display_name"] for r in csv.DictReader(f) if "mid" in r}


def split_by_fold(files: dict[str, dict[str, str]], parts: dict[str, list[str]]
                  ) -> dict[str, dict[str, dict[str, str]]]:
    """``{part: files}`` keeping the keys whose fold is listed for the part.

    Raises:
        UserError: the corpus has no folds, or a part selects nothing.
    """
    folds = files.get("utt2fold")
    if not folds:
        raise UserError("this corpus has no folds (utt2fold); split it with "
                        "'sptk-cli data split' instead of --folds")
    have = sorted(set(folds.values()))
    out = {}
    for part, wanted in parts.items():
        keys = sorted(k for k, f in folds.items() if f in wanted)
        if not keys:
            raise UserError(f"--folds {part}:{','.join(wanted)} selects no clip "
                            f"(folds in the corpus: {', '.join(have)})")
        out[part] = {name: {k: m[k] for k in keys} for name, m in files.items()}
    return out


def prepare(path: str | Path, dst: str | Path, layout: str = "auto",
            train_folds: list[str] | None = None, test_folds: list[str] | None = None,
            esc10_only: bool = False, audio_root: str | Path | None = None,
            overwrite: bool = False) -> Path:
    """Write ``dst/all``, or ``dst/train`` and ``dst/test`` split by fold.

    Args:
        path: the corpus folder (or csv) in one of the layouts of the module doc.
        dst: folder for the data directories (``wav.scp``, ``label``, ``utt2fold``).
        layout: one of :data:`LAYOUTS` (``auto`` detects it).
        train_folds: folds of ``dst/train`` (with ``test_folds``; without both: ``dst/all``).
        test_folds: folds of ``dst/test``.
        esc10_only: ESC-50 layout: keep the ESC-10 subset.
        audio_root: csv layout: the audio folder (default: the csv's folder).
        overwrite: redo finished directories.
    """
    from toolkit.data.audio import audio_info
    from toolkit.data.datadir import write_datadir
    from toolkit.fsutil import skip_if_done

    dst = Path(dst)
    parts = {name: [str(f) for f in folds]
             for name, folds in (("train", train_folds), ("test", test_folds)) if folds}
    targets = [dst / p for p in parts] or [dst / "all"]
    if all(skip_if_done(t, overwrite) for t in targets):
        return dst
    files = read_corpus(path, layout, esc10_only, audio_root)
    rates = {audio_info(p).sample_rate for p in list(files["wav.scp"].values())[:20]}
    meta = {"task": "aed", "source": str(path), "sample_rate": rates.pop() if len(rates) == 1
            else None}
    for name, part in (split_by_fold(files, parts) if parts else {"all": files}).items():
        write_datadir(dst / name, part, {**meta, "folds": parts.get(name)}, overwrite=True)
    return dst
