"""Real-time factors of the TTS pieces: WORLD analysis, forced alignment, synthesis.

RTF = processing seconds / audio seconds, one process, on this machine. Uses the
CMU ARCTIC sentence bundled with pysptk, espeak-ng speech for the aligner, and the
default TTS bundle (toolkit/assets/tts) for text-to-speech when it is installed.
"""

import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pysptk  # noqa: E402

from toolkit.data.audio import load_mono  # noqa: E402
from toolkit.dsp.world import VocoderConfig, analyze, synthesize  # noqa: E402


def timed(fn, *args, repeat: int = 3):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


x, sr = load_mono(pysptk.util.example_audio_file(), 16000)
secs = len(x) / sr
for method in ("dio", "harvest"):
    conf = VocoderConfig(f0_method=method)
    t, feats = timed(analyze, x, conf)
    print(f"WORLD analysis ({method}, 40 mcep + lf0 + vuv + 7 bap): RTF {t / secs:.3f}")
t, _ = timed(synthesize, feats, VocoderConfig())
print(f"WORLD synthesis with postfilter: RTF {t / secs:.3f}")

with tempfile.TemporaryDirectory() as tmp:
    from toolkit.data.datadir import DataDir
    from toolkit.text.synthesize import build_espeak_corpus, read_sentences
    from toolkit.tts.align import AlignConfig, HmmSet, align_utterances
    from toolkit.tts.labels import _load_utts, add_labels, align_datadir

    build_espeak_corpus(Path(tmp) / "esp", "en-us", read_sentences(None, "en"), ["+m1", "+f3"])
    add_labels(Path(tmp) / "esp", Path(tmp) / "lab", {"en": "en-us"})
    d = DataDir(Path(tmp) / "lab")
    audio = sum(float(v) for v in d.read("utt2dur").values())
    conf = AlignConfig(iterations=4)
    t0 = time.perf_counter()
    align_datadir(d.path, Path(tmp) / "ali", conf, save_model=Path(tmp) / "hmm.npz")
    train = time.perf_counter() - t0
    hmm = HmmSet.load(Path(tmp) / "hmm.npz")
    t0 = time.perf_counter()
    utts = _load_utts(d, d.keys(), conf)
    align_utterances({k: v[:2] for k, v in utts.items()}, hmm, conf)
    apply = time.perf_counter() - t0
    print(f"aligner: training (flat start + 4 passes) RTF {train / audio:.3f}, "
          f"alignment (MFCC + Viterbi) RTF {apply / audio:.3f} on {audio:.0f} s of speech")

asset = Path(__file__).resolve().parents[1] / "toolkit" / "assets" / "tts"
if (asset / "acoustic" / "model.pt").is_file():
    from toolkit.tts.infer import synthesize_file
    from toolkit.tts.synth import TtsSynthesizer

    s = TtsSynthesizer(asset)
    lang, spk = s.acoustic.languages.names[0], s.acoustic.speakers.names[0]
    text = "Please enter your password, followed by the pound key."
    with tempfile.TemporaryDirectory() as tmp:
        synthesize_file(s, text, Path(tmp) / "w.wav", lang, spk)
        t, dur = timed(synthesize_file, s, text, Path(tmp) / "w.wav", lang, spk)
    y = s.features(text, lang, spk)
    t_model, _ = timed(s.features, text, lang, spk)
    print(f"text to speech (default bundle, {lang}/{spk}): RTF {t / dur:.3f} "
          f"(front end + models {t_model / dur:.3f}, {len(y)} frames)")
else:
    print("text to speech: no default bundle in toolkit/assets/tts (skipped)")
print(f"(audio {secs:.1f} s; {np.__name__} {np.__version__})")
