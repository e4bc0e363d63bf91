"""A source / target corpus for speech enhancement with a large domain gap.

The SRST paper's source domain is English read speech (LibriSpeech) with one
family of noises (WHAM!: urban babble), its target domain other languages
(DNS Challenge French, German, Italian, Mandarin, Russian, Spanish) with other
noise types (DNS noises). This module builds the same kind of gap from the
offline pools, or mixes pools the user prepared from the real corpora
(:mod:`toolkit.corpora.external.librispeech_wham`, :mod:`toolkit.corpora.external.dns_challenge`):

- source speech: ``corpus.source_langs`` (default English: the asterisk
  prompts of one studio talker and tuxpaint's English readings); source noise:
  ``corpus.source_noise_types``
  (default the stationary family: machines, white / pink / brown noise, hum,
  fans);
- target speech: ``corpus.target_langs`` from every other speaker (asterisk
  fr/it/ru, tuxpaint's children's-book readers in ro, bg, el, ...; a speaker
  heard in the source domain is never used in the target); either domain can be
  narrowed to talker-name prefixes (``corpus.source_talkers`` /
  ``corpus.target_talkers``); target noise:
  ``corpus.target_noise_types`` (default transient and tonal sounds: impacts,
  alerts, music, non-speech vocalisations, ambient beds); with
  ``corpus.target_reverb`` a share of the target speech is reverberated by
  simulated rooms (the reverberant speech is the label; train, dev and test
  rooms disjoint), the paper's "reverberation" of the target domain.

Layout written under ``out`` (each a data directory, ``task: se``)::

    source_train  source_dev                  labelled source pairs
    target_train  target_dev                  target mixtures (labels only for the oracle)
    target_test                               each test utterance at every test SNR
    target_test_source_lang                   the same for source-language speech
                                              (only with corpus.n_target_test_source_lang)
    audio/<set>/<key>.{noisy,speech,noise}.wav

Files: ``wav.scp`` (noisy), ``speech.scp``, ``noise.scp`` (the scaled noise, so
speech + noise = noisy), ``utt2snr``, ``utt2domain``, ``utt2lang``, ``utt2spk``,
``utt2dur``, ``utt2origin`` (the speech and noise pool keys). Speech
utterances (and noise recordings, by origin file) of the train, dev and test
sets are disjoint. Every mixture is a function of
``(corpus.seed, set, index)``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from toolkit.corpora.sounds.soundpool import Progress, fmt, item_rng
from toolkit.data.audio import load_mono, save_audio
from toolkit.data.datadir import DataDir, write_datadir
from toolkit.dsp.mix import clip_guard, fit_length, mix_at_snr, reverberate
from toolkit.errors import UserError
from toolkit.fsutil import DONE, is_done, mark_done
from toolkit.se.config import UDACorpusConfig

log = logging.getLogger(__name__)
SAMPLE_RATE = 16000
SETS = ("source_train", "source_dev", "target_train", "target_dev", "target_test")
SOURCE_LANG_TEST = "target_test_source_lang"  # Table 2: source language, target conditions
TEST_DRAW = "by_talker"  # how test utterances are drawn; absent: the first in key order


def _split(keys: list[str], groups: dict[str, str], shares: list[float], seed: int,
           ) -> list[list[str]]:
    """Split ``keys`` into parts by group (utterance or origin file), shares of the groups.

    The last part gets the rest; every part gets at least one group when there
    are enough groups.
    """
    names = sorted({groups.get(k, k) for k in keys})
    rng = np.random.default_rng(seed)
    rng.shuffle(names)
    counts = [max(1, int(round(s * len(names)))) if len(names) > len(shares) else 0
              for s in shares]
    bounds, start = [], 0
    for c in counts:
        bounds.append(set(names[start:start + c]))
        start += c
    rest = set(names[start:])
    parts = [[k for k in keys if groups.get(k, k) in b] for b in bounds]
    return [*parts, [k for k in keys if groups.get(k, k) in rest]]


def _pick_speech(speech: DataDir, langs: list[str], exclude_speakers: set[str],
                 talkers: list[str]) -> list[str]:
    """Keys in ``langs`` whose talker is not excluded and starts with one of
    ``talkers`` (every talker when empty)."""
    utt2lang, utt2spk = speech.read("utt2lang"), speech.read("utt2spk")
    prefixes = tuple(talkers) or ("",)
    return [k for k in speech.keys()
            if utt2lang.get(k) in langs and utt2spk.get(k) not in exclude_speakers
            and utt2spk.get(k, "").startswith(prefixes)]


def _by_talker(keys: list[str], utt2spk: dict[str, str], rng: np.random.Generator,
               ) -> list[str]:
    """``keys`` shuffled, then dealt talker by talker, so that the first n cover
    min(n, talkers) talkers (and so their languages) evenly."""
    talkers: dict[str, list[str]] = {}
    for k in (keys[j] for j in rng.permutation(len(keys))):
        talkers.setdefault(utt2spk.get(k, k), []).append(k)
    queues = [talkers[t] for t in sorted(talkers)]
    queues = [queues[j] for j in rng.permutation(len(queues))]
    return [q[i] for i in range(max(map(len, queues), default=0)) for q in queues
            if i < len(q)]


def _mix_one(speech_path: str, noise_path: str, snr: float, rng: np.random.Generator,
             conf: UDACorpusConfig, rir: np.ndarray | None = None,
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:

    s, _ = load_mono(speech_path, SAMPLE_RATE)
    n_max = int(conf.max_seconds * SAMPLE_RATE)
    if len(s) > n_max:
        start = int(rng.integers(0, len(s) - n_max + 1))
        s = s[start:start + n_max]
    if rir is not None:
        s = reverberate(s, rir)
    full, _ = load_mono(noise_path, SAMPLE_RATE)
    for _ in range(5):  # a cut of a recording may fall on silence: cut again
        n = fit_length(full.astype(np.float64), len(s), rng)
        if np.sqrt(np.mean(n ** 2)) > 1e-5:
            break
    else:
        log.warning("%s: silent where cut; white noise used instead", noise_path)
        n = rng.standard_normal(len(s)) * 1e-2
    noisy, noise = mix_at_snr(s.astype(np.float64), n, snr, rng)
    gain = 10 ** (rng.uniform(*conf.level_dbfs) / 20) / (np.sqrt(np.mean(noisy ** 2)) + 1e-12)
    noisy, s, noise = noisy * gain, s * gain, noise * gain
    (noisy, s, noise), _ = clip_guard([noisy, s, noise])
    return noisy, s, noise


def _write_set(out: Path, name: str, pairs: list[tuple[str, str, float]], speech: DataDir,
               noise: DataDir, conf: UDACorpusConfig, stream: int, keys: list[str],
               rooms: list[tuple[str, np.ndarray]]) -> None:

    wav, spk, nse, snr, dom, lang, u2s, dur, orig = ({} for _ in range(9))
    utt2lang, utt2spk = speech.read("utt2lang"), speech.read("utt2spk")
    audio = out / "audio" / name
    audio.mkdir(parents=True, exist_ok=True)
    progress = Progress(name, len(pairs))
    domain = name.split("_")[0]
    for i, ((s_key, n_key, value), key) in enumerate(zip(pairs, keys, strict=True)):
        rng = item_rng(conf.seed, i, stream)
        room = None
        if rooms and domain == "target" and rng.random() < conf.target_reverb:
            room = rooms[int(rng.integers(len(rooms)))]
        noisy, s, n = _mix_one(speech.read("wav.scp")[s_key], noise.read("wav.scp")[n_key],
                               value, rng, conf, None if room is None else room[1])
        paths = {}
        for role, x in (("noisy", noisy), ("speech", s), ("noise", n)):
            paths[role] = audio / f"{key}.{role}.wav"
            save_audio(paths[role], x.astype(np.float32), SAMPLE_RATE)
        wav[key], spk[key], nse[key] = (str(paths[r]) for r in ("noisy", "speech", "noise"))
        snr[key], dom[key], lang[key] = fmt(value, 1), domain, utt2lang.get(s_key, "und")
        u2s[key], dur[key] = utt2spk.get(s_key, key), fmt(len(noisy) / SAMPLE_RATE)
        orig[key] = f"{s_key} {n_key}" + (f" {room[0]}" if room else "")
        progress.step(len(noisy) / SAMPLE_RATE)
    files = {"wav.scp": wav, "speech.scp": spk, "noise.scp": nse, "utt2snr": snr,
             "utt2domain": dom, "utt2lang": lang, "utt2spk": u2s, "utt2dur": dur,
             "utt2origin": orig}
    meta = {"sample_rate": SAMPLE_RATE, "task": "se", "domain": domain}
    if name.startswith("target_test"):
        meta["test_draw"] = TEST_DRAW
    write_datadir(out / name, files, meta, overwrite=True)


def _rooms(rirs_dir: str | Path | None, conf: UDACorpusConfig
           ) -> dict[str, list[tuple[str, np.ndarray]]]:
    """The room pool split into train / dev / test rooms (empty without ``target_reverb``)."""
    if conf.target_reverb <= 0:
        return {"train": [], "dev": [], "test": []}
    if rirs_dir is None:
        raise UserError("corpus.target_reverb needs a room pool (sptk-cli corpus rir)")
    r = DataDir(rirs_dir)
    keys = sorted(r.keys())
    dev, test, train = _split(keys, {}, [conf.dev_share, conf.test_share], conf.seed + 21)
    if not train:
        raise UserError(f"room pool {rirs_dir}: {len(keys)} rooms are too few to split; "
                        "build it with more (corpus.n_rooms)")
    wav = r.read("wav.scp")
    parts = {"train": train, "dev": dev or train, "test": test or train}
    return {p: [(k, load_mono(wav[k], SAMPLE_RATE)[0]) for k in ks] for p, ks in parts.items()}


def mix_uda_corpus(out: str | Path, speech_dir: str | Path, source_noise_dir: str | Path,
                   target_noise_dir: str | Path, conf: UDACorpusConfig,
                   overwrite: bool = False, rirs_dir: str | Path | None = None) -> Path:
    """Mix the five data directories of the source / target corpus (see the module doc).

    Args:
        out: destination folder (one data directory per set, audio under ``audio/``).
        speech_dir: speech pool (``wav.scp``, ``utt2lang``, ``utt2spk``).
        source_noise_dir / target_noise_dir: noise pools (``wav.scp``; ``utt2origin``
            groups segments of one recording so that splits never share a recording).
        rirs_dir: room pool (``wav.scp`` of impulse responses) for ``target_reverb``.
        conf: the corpus section of the config.
        overwrite: redo a finished corpus.
    """

    out = Path(out).absolute()  # scp files hold absolute paths
    sets = SETS + ((SOURCE_LANG_TEST,) if conf.n_target_test_source_lang > 0 else ())
    todo = list(sets)
    if is_done(out) and not overwrite:
        todo = [name for name in sets if not (out / name / "wav.scp").is_file()]
        if "target_test" not in todo and \
                DataDir(out / "target_test").meta.get("test_draw") != TEST_DRAW:
            log.warning("%s/target_test was mixed before 2026-12-05 from the first test "
                        "utterances in key order (often one talker); rebuild the corpus with "
                        "--overwrite for a test set over every talker", out)
        if not todo:
            log.info("%s is complete (%s exists); skipping (use --overwrite to redo)", out, DONE)
            return out
        log.info("%s is complete but lacks %s: mixing it (the other sets are kept)", out,
                 ", ".join(todo))
    speech = DataDir(speech_dir)
    src_keys = _pick_speech(speech, conf.source_langs, set(), conf.source_talkers)
    src_spk = {speech.read("utt2spk")[k] for k in src_keys}
    tgt_keys = _pick_speech(speech, conf.target_langs, src_spk, conf.target_talkers)
    for what, keys, langs, talkers in (
            ("source", src_keys, conf.source_langs, conf.source_talkers),
            ("target", tgt_keys, conf.target_langs, conf.target_talkers)):
        if len(keys) < 3:
            who = f" of talkers {','.join(talkers)}*" if talkers else ""
            raise UserError(f"{speech_dir} holds {len(keys)} {what} utterances in languages "
                            f"{','.join(langs)}{who}; build a larger speech pool or change "
                            f"corpus.{what}_langs / corpus.{what}_talkers")
    noises = {}
    for what, d in (("source", source_noise_dir), ("target", target_noise_dir)):
        nd = DataDir(d)
        origin = nd.read("utt2origin") if nd.has("utt2origin") else {}
        groups = {k: v.split(maxsplit=2)[-1] for k, v in origin.items()}  # the file
        dev, test, train = _split(nd.keys(), groups, [conf.dev_share, conf.test_share],
                                  conf.seed + 11)
        if not train:
            raise UserError(f"noise pool {d} has too few recordings to split into train/dev/"
                            "test; build it with more noise types")
        noises[what] = (nd, {"train": train, "dev": dev or train, "test": test or train})
    rooms = _rooms(rirs_dir, conf)
    s_dev, _, s_train = _split(src_keys, {}, [conf.dev_share, 0.0], conf.seed + 1)
    t_dev, t_test, t_train = _split(tgt_keys, {}, [conf.dev_share, conf.test_share],
                                    conf.seed + 2)
    plan = {"source_train": ("source", s_train, "train", conf.n_source_train),
            "source_dev": ("source", s_dev, "dev", conf.n_source_dev),
            "target_train": ("target", t_train, "train", conf.n_target_train),
            "target_dev": ("target", t_dev, "dev", conf.n_target_dev)}
    tests = {"target_test": (t_test, conf.n_target_test, 99, "tgt-test"),
             SOURCE_LANG_TEST: (s_dev, conf.n_target_test_source_lang, 98, "tgt-srclang-test")}
    for stream, name in enumerate(sets):
        if name not in todo:
            continue
        if name in tests:
            pool, n, salt, prefix = tests[name]
            nd, parts = noises["target"]
            rng = np.random.default_rng([conf.seed, salt])
            order = _by_talker(pool, speech.read("utt2spk"), rng)
            utts = [order[i % len(order)] for i in range(n)]
            pairs, keys = [], []
            for i, u in enumerate(utts):
                n_key = parts["test"][int(rng.integers(len(parts["test"])))]
                for snr in conf.test_snrs:
                    pairs.append((u, n_key, float(snr)))
                    keys.append(f"{prefix}-{i:05d}-snr{int(round(snr)):+d}")
        else:
            domain, utts, part, n = plan[name]
            nd, parts = noises[domain]
            rng = np.random.default_rng([conf.seed, stream])
            order = [utts[j] for j in rng.permutation(len(utts))]
            pairs = [(order[i % len(order)], parts[part][int(rng.integers(len(parts[part])))],
                      float(rng.uniform(*conf.train_snr))) for i in range(n)]
            keys = [f"{name.replace('_', '-')}-{i:05d}" for i in range(n)]
        part = "test" if name in tests else plan[name][2]
        _write_set(out, name, pairs, speech, nd, conf, stream, keys, rooms[part])
    mark_done(out)
    return out
