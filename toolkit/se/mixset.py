"""Fixed mixture sets of held-out talkers and noise recordings (``sptk-cli se mix-set``).

The dev and test sets the default enhancer is chosen and judged on: every item of
the split's talkers (:class:`toolkit.se.simulate.MixSources`) mixed whole at each of a
list of SNRs, clean included. The held-out pools hold single words and short
phrases (ktuberling, tuxpaint); ``min_seconds`` joins consecutive utterances of one
talker into sentence-length items, nearer to what users enhance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from toolkit.data.audio import load_mono, save_audio
from toolkit.data.datadir import DataDir, write_datadir
from toolkit.fsutil import skip_if_done
from toolkit.se.config import MixConfig
from toolkit.se.simulate import MixSimulator, MixSources

#: silence between the joined utterances of an item (:func:`write_mixture_set`)
PAUSE_SECONDS = 0.3


def talker_runs(talkers: list[str], lengths: list[int], min_len: int) -> list[list[int]]:
    """Consecutive utterances of one talker grouped into runs of at least ``min_len`` samples.

    Args:
        talkers: the talker of each utterance, in the pool's order.
        lengths: each utterance's length in samples (pauses included).
        min_len: shortest run; 0 keeps every utterance on its own. A talker's last,
            shorter run joins the run before it (a talker with too little speech for one
            run gives one shorter run).

    Returns:
        Runs of utterance indices, each of one talker, in the pool's order; together
        every utterance exactly once.
    """
    def size(run: list[int]) -> int:
        return sum(lengths[j] for j in run)

    runs: list[list[int]] = []
    for i, who in enumerate(talkers):
        if runs and talkers[runs[-1][0]] == who and size(runs[-1]) < min_len:
            runs[-1].append(i)
        else:
            runs.append([i])
    merged: list[list[int]] = []
    for run in runs:  # only a talker's last run can be short: it joins the one before
        if merged and talkers[merged[-1][0]] == talkers[run[0]] and size(run) < min_len:
            merged[-1].extend(run)
        else:
            merged.append(run)
    return merged


def write_mixture_set(out: str | Path, speech_dir: str | Path, cfg: MixConfig, split: str,
                      snrs: list[float], n_utts: int, seed: int = 0, overwrite: bool = False,
                      min_seconds: float = 0.0, pause: float = PAUSE_SECONDS) -> Path:
    """A fixed test (or dev) data directory: ``n_utts`` held-out items at every SNR.

    An item is one utterance of the split's talkers, or with ``min_seconds`` > 0
    consecutive utterances of one talker joined with ``pause`` seconds of silence
    into at least that length (:func:`talker_runs`; sentence-length input from
    pools of single words). It is mixed whole (no reverberation) with a noise of the
    split's recordings at each of ``snrs`` (``inf``: the clean item), at a level drawn
    from ``cfg.level_dbfs``.

    Writes ``wav.scp`` (noisy), ``speech.scp``, ``noise.scp``, ``utt2snr``,
    ``utt2spk``, ``utt2parts`` (the pool keys of each item's utterances) and the
    audio under ``out/audio``.

    Returns:
        ``out``.
    """
    out = Path(out).absolute()  # wav.scp entries stay valid from any working directory
    if skip_if_done(out, overwrite):
        return out
    src = MixSources(speech_dir, cfg, split)
    spk = DataDir(speech_dir).read("utt2spk")
    by_path = {v: k for k, v in DataDir(speech_dir).read("wav.scp").items()}
    gap = int(round(pause * 16000))
    lengths, min_len = [0] * len(src.speech), 0
    if min_seconds > 0:  # a run of k parts has k - 1 pauses: count one pause per part
        lengths = [sf.info(p).frames + gap for p in src.speech]
        min_len = int(round(min_seconds * 16000)) + gap
    runs = talker_runs([spk.get(by_path[p], "unknown") for p in src.speech], lengths, min_len)
    rng = np.random.default_rng([seed, 7])
    picks = rng.choice(len(runs), size=min(n_utts, len(runs)), replace=False)
    files: dict[str, dict[str, str]] = {n: {} for n in
                                        ("wav.scp", "speech.scp", "noise.scp", "utt2snr",
                                         "utt2spk", "utt2parts")}
    for j, p in enumerate(sorted(int(i) for i in picks)):
        paths = [src.speech[i] for i in runs[p]]
        if len(paths) == 1:
            speech: str | np.ndarray = paths[0]
            n = sf.info(paths[0]).frames
        else:
            silence = np.zeros(gap, np.float32)
            speech = np.concatenate([part for q in paths for part in (silence, load_mono(
                q, 16000)[0].astype(np.float32))][1:])
            n = len(speech)
        sim = MixSimulator(src, cfg, n)
        for c, snr in enumerate(snrs):
            tag = "clean" if np.isinf(snr) else f"snr{snr:+g}"
            key = f"{j:04d}-{tag}"
            item = sim.draw(np.random.default_rng([seed, j, c]), snr=snr, speech=speech)
            for role, name in (("wav.scp", "noisy"), ("speech.scp", "speech"),
                               ("noise.scp", "noise")):
                files[role][key] = str(save_audio(out / "audio" / f"{key}.{name}.wav",
                                                  item[name], 16000, subtype="FLOAT"))
            files["utt2snr"][key] = "inf" if np.isinf(snr) else f"{snr:g}"
            files["utt2spk"][key] = spk.get(by_path[paths[0]], "unknown")
            files["utt2parts"][key] = " ".join(by_path[q] for q in paths)
    write_datadir(out, files, {"sample_rate": 16000, "task": "se", "split": split},
                  overwrite=True, in_place=True)
    return out
