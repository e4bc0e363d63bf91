"""``sptk-cli adapt``: DANN then SRST from a folder of unlabelled noisy audio.

The method of the SRST paper as a user runs it on their own recordings:

1. the target folder (or data directory) is scanned; files that cannot be read,
   are shorter than ``MIN_SECONDS`` or are silent are listed, skipped and
   counted; other sample rates are resampled (and counted); long files are cut
   into chunks of at most ``CHUNK_SECONDS``; 10 % of the chunks (by file)
   become the validation set;
2. labelled source data: ``--source DIR`` (``wav.scp``, ``speech.scp``,
   ``noise.scp``), or else the source domain the model was trained on, rebuilt
   from the offline pools with the model's own ``corpus`` settings;
3. the stage-3 steps ``classifier``, ``dann`` and ``srst`` of
   :mod:`toolkit.se.steps`, starting from the given model;
4. the SRST model is packed (fp16) into ``--out`` with a model card.

Everything lives in a working folder (default ``OUT.work``): a rerun resumes
where an interrupted one stopped.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import numpy as np

from toolkit.config import dump_yaml, load_config
from toolkit.corpora.debian.speech_pool import build_speech_pool
from toolkit.corpora.sounds.noise import build_noise_pool
from toolkit.data.audio import audio_info, load_mono, save_audio
from toolkit.data.datadir import DataDir, write_datadir
from toolkit.data.ops import subset
from toolkit.errors import AudioError, UserError
from toolkit.fsutil import atomic_write_text, is_done
from toolkit.se.config import SEConfig
from toolkit.se.corpus import mix_uda_corpus
from toolkit.se.steps import flatten, run_step
from toolkit.train.packing import default_model_dir, load_model_dir, pack

log = logging.getLogger(__name__)
MIN_SECONDS = 1.0
CHUNK_SECONDS = 6.0
MAX_CHUNKS = 20
AUDIO_EXT = (".wav", ".flac", ".ogg", ".mp3", ".opus")
# Step settings used when no --config is given (the model's own config may lack them).
DEFAULT_STEPS = {"classifier": {"optim": {"lr": 1e-4}, "trainer": {"epochs": 3}},
                 "dann": {"optim": {"lr": 1e-4}, "trainer": {"epochs": 5}},
                 "srst": {"trainer": {"epochs": 5}}}


def scan_target(target: Path) -> dict[str, str]:
    """``{name: path}`` of the target audio: a data directory's wav.scp or a folder's files."""
    if (target / "wav.scp").is_file():

        return DataDir(target).read("wav.scp")
    if not target.is_dir():
        raise UserError(f"--target {target}: not a folder of audio files nor a data directory")
    files = sorted(p for p in target.rglob("*") if p.is_file())
    audio = [p for p in files if p.suffix.lower() in AUDIO_EXT]
    if not audio:
        raise UserError(f"--target {target} holds no audio files ({', '.join(AUDIO_EXT)})")
    return {str(p.relative_to(target)): str(p) for p in audio}


def prepare_target(target: Path, out: Path, sample_rate: int = 16000, dev_share: float = 0.1,
                   seed: int = 0) -> dict[str, object]:
    """Write ``out/target_train`` and ``out/target_dev`` from unlabelled audio.

    Returns:
        A report: ``used``, ``chunks``, ``resampled`` (files), ``skipped``
        (``[(name, reason)]``); also written to ``out/target_report.txt``.
    """


    report_file = out / "target_report.txt"
    if is_done(out / "target_train") and is_done(out / "target_dev") and report_file.is_file():
        return {"cached": True, "report": report_file.read_text()}
    files = scan_target(target)
    skipped: list[tuple[str, str]] = []
    resampled = 0
    chunks: dict[str, dict[str, str]] = {}
    n_chunk = int(CHUNK_SECONDS * sample_rate)
    for name, path in sorted(files.items()):
        try:
            sr = audio_info(path).sample_rate
            x, _ = load_mono(path, sample_rate, min_duration=MIN_SECONDS, allow_silent=False)
        except AudioError as e:
            skipped.append((name, str(e).split(": ", 1)[-1]))
            continue
        if np.sqrt(np.mean(x ** 2)) < 1e-5:
            skipped.append((name, "practically silent (RMS below -100 dBFS)"))
            continue
        resampled += sr != sample_rate
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name.rsplit(".", 1)[0])
        parts = chunks.setdefault(stem, {})
        for j in range(min(MAX_CHUNKS, max(1, int(np.ceil(len(x) / n_chunk))))):
            seg = x[j * n_chunk:(j + 1) * n_chunk]
            if len(seg) < MIN_SECONDS * sample_rate:
                continue
            key = f"{stem}-{j:03d}"
            parts[key] = str(save_audio(out / "audio" / f"{key}.wav", seg, sample_rate))
    lines = [f"{len(files)} file(s) in {target}: {len(chunks)} used ({resampled} resampled to "
             f"{sample_rate} Hz), {len(skipped)} skipped"]
    lines += [f"skipped {n}: {why}" for n, why in skipped]
    for line in lines:
        (log.warning if line.startswith("skipped") else log.info)("%s", line)
    if len(chunks) < 2:
        raise UserError(f"--target {target}: only {len(chunks)} usable file(s) of "
                        f"{len(files)} ({len(skipped)} skipped, see the log); adaptation needs "
                        "at least 2 files of at least 1 s")
    stems = sorted(chunks)
    rng = np.random.default_rng(seed)
    rng.shuffle(stems)
    n_dev = max(1, int(round(dev_share * len(stems))))
    for name, group in (("target_dev", stems[:n_dev]), ("target_train", stems[n_dev:])):
        wav = {k: v for s in group for k, v in chunks[s].items()}
        write_datadir(out / name, {"wav.scp": wav, "utt2domain": {k: "target" for k in wav}},
                      {"sample_rate": sample_rate, "task": "se", "source": str(target)},
                      overwrite=True)
    atomic_write_text(report_file, "\n".join(lines) + "\n")
    return {"used": len(chunks), "resampled": resampled, "skipped": skipped,
            "chunks": sum(len(v) for v in chunks.values())}


def prepare_source(source: Path | None, model_cfg, data: Path, overwrite: bool) -> None:
    """``data/source_train`` and ``data/source_dev``: from ``source`` or rebuilt from the pools."""

    if is_done(data / "source_train") and is_done(data / "source_dev") and not overwrite:
        return
    if source is None:

        cc = model_cfg.corpus
        pools = data / "source_pools"
        build_speech_pool(pools / "speech", cc.speech_sources, cc.source_langs + cc.target_langs,
                          cc.max_per_lang or None, cc.seed, None, overwrite)
        for name, types in (("noise_source", cc.source_noise_types),
                            ("noise_target", cc.target_noise_types)):
            build_noise_pool(pools / name, cc.noise_sources or None, types, seed=cc.seed,
                             n_procedural=cc.n_procedural, overwrite=overwrite)
        mix_uda_corpus(pools / "mix", pools / "speech", pools / "noise_source",
                       pools / "noise_target", cc, overwrite)
        source = pools / "mix" / "source_train"
        dev = pools / "mix" / "source_dev"
        for name, src in (("source_train", source), ("source_dev", dev)):
            subset(src, data / name, DataDir(src).keys(), overwrite=True)
        return
    d = DataDir(source)
    if not (d.has("speech.scp") and d.has("noise.scp")):
        raise UserError(f"--source {source} needs speech.scp and noise.scp beside wav.scp "
                        "(labelled source pairs)")
    keys = d.keys()
    if len(keys) < 4:
        raise UserError(f"--source {source} holds {len(keys)} pairs; give at least 4")
    n_dev = max(1, len(keys) // 10)
    subset(source, data / "source_dev", keys[:n_dev], overwrite=True)
    subset(source, data / "source_train", keys[n_dev:], overwrite=True)


def adapt_model(model: Path | None, target: Path, out: Path, source: Path | None = None,
                config: Path | None = None, work: Path | None = None,
                overrides: list[str] | None = None, device: str = "auto",
                overwrite: bool = False) -> Path:
    """Adapt an se model to the domain of ``target`` (see the module doc); returns ``out``."""

    if is_done(out) and not overwrite:
        log.info("%s is complete; skipping (use --overwrite to redo)", out)
        return out
    model = Path(model) if model else default_model_dir("se")
    task, model_cfg, _ = load_model_dir(model)
    if task.name != "se":
        raise UserError(f"--model {model} is a '{task.name}' model; adapt needs an se model")
    work = Path(work) if work else out.with_name(out.name + ".work")
    data, exp = work / "data", work / "exp"
    if overwrite and work.exists():
        shutil.rmtree(work)
    cfg_file = Path(config) if config else work / "adapt.yaml"
    if config is None:
        base = load_config(SEConfig, model / "config.yaml")
        base.loss.teacher = ""  # the model's own training teacher is not the adaptation's
        base.steps = {**DEFAULT_STEPS, **{k: v for k, v in base.steps.items()
                                          if k in DEFAULT_STEPS}}
        work.mkdir(parents=True, exist_ok=True)
        cfg_file.write_text(dump_yaml(base))
    model_over = flatten("model.", {"name": model_cfg.model.name, "conf": model_cfg.model.conf})
    sets = [*model_over, *(overrides or [])]
    load_config(SEConfig, cfg_file, sets)  # bad --config / --set fail before any work
    report = prepare_target(Path(target), data, model_cfg.data.sample_rate,
                            seed=model_cfg.trainer.seed)
    prepare_source(source, model_cfg, data, overwrite=False)
    exp.mkdir(parents=True, exist_ok=True)
    if not is_done(exp / "source"):
        tmp = exp / ".source.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(model, tmp, ignore=shutil.ignore_patterns("ckpt", "tb", "decode_*",
                                                                  "score_*"))
        (tmp / ".done").write_text(f"copied from {model}\n")
        tmp.rename(exp / "source")
    for step in ("classifier", "dann", "srst"):
        run_step(step, cfg_file, data, exp, sets, device, overwrite=False)
    desc = (f"Adapted with `sptk-cli adapt` (DANN, then SRST) from {model} to the noisy audio "
            f"in {target}. {str(report.get('report', '')).strip() or ''}")
    pack(exp / "srst", out, fp16=True, overwrite=True, description=desc)
    return out
