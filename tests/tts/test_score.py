"""Scoring: MCD over speech frames, ASR word error rate, the experiments of a config."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.data.datadir import write_datadir
from toolkit.errors import ConfigError
from toolkit.tts.asr import normalize_words, word_errors
from toolkit.tts.score import aggregate, score_keys, speech_frames


def test_speech_frames_follow_the_alignment():
    # sil + 2 phones + sil + 1 phone + sil: the pause slots are not speech
    mask = speech_frames("a b / c", "3 2 2 4 5 1", 20)
    assert mask.tolist() == [False] * 3 + [True] * 4 + [False] * 4 + [True] * 5 + [False] * 4


def test_mcd_ignores_silence_frames(tmp_path):
    ref = np.zeros((10, 49), np.float32)
    hyp = ref.copy()
    hyp[:4, 1:40] = 1.0  # errors only in the leading pause
    for name, arr in (("ref", ref), ("hyp", hyp)):
        np.save(tmp_path / f"{name}.npy", arr)
    common = {"utt2lang": {"u": "en"}, "utt2spk": {"u": "s"}}
    write_datadir(tmp_path / "r", {"feats.scp": {"u": str(tmp_path / "ref.npy")},
                                   "phones": {"u": "a b"}, "durations": {"u": "4 3 3 0"},
                                   **common}, {})
    write_datadir(tmp_path / "h", {"feats.scp": {"u": str(tmp_path / "hyp.npy")},
                                   "utt2mse": {"u": "0.5"}, **common}, {})
    scores = aggregate(score_keys(tmp_path / "r", tmp_path / "h", ["u"]))
    assert scores["mcd_db"] == 0.0 and scores["frames"] == 6 and scores["mse"] == 0.5


def test_word_errors():
    assert normalize_words("Don't stop, Bob!") == ["don't", "stop", "bob"]
    assert word_errors(["a", "b", "c"], ["a", "x", "c", "d"]) == 2
    assert word_errors([], ["a"]) == 1


def test_asr_wer_of_natural_speech(tmp_path):
    """A natural CMU ARCTIC sentence (bundled with pysptk) is understood; silence is not."""
    import warnings

    import soundfile as sf

    from toolkit.data.audio import save_audio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pysptk

    x, sr = sf.read(pysptk.util.example_audio_file())  # arctic_a0007, 16 kHz
    save_audio(tmp_path / "a.wav", x, sr)
    save_audio(tmp_path / "b.wav", np.zeros(sr, np.float32), sr)
    text = "And you always want to see it in the superlative degree."
    common = {"utt2lang": {"a": "en", "b": "en"}, "utt2spk": {"a": "s", "b": "s"}}
    write_datadir(tmp_path / "r", {"text": {"a": text, "b": text}, **common}, {})
    write_datadir(tmp_path / "h", {"wav.scp": {"a": str(tmp_path / "a.wav"),
                                               "b": str(tmp_path / "b.wav")}, **common}, {})
    per = score_keys(tmp_path / "r", tmp_path / "h", ["a", "b"])
    assert per["a"]["word_errors"] <= 1 and per["b"]["word_errors"] >= 10
    scores = aggregate(per)
    assert scores["words"] == 22 and 0.4 < scores["asr_wer"] <= 0.55


def test_a_transcript_does_not_depend_on_what_was_decoded_before():
    """The recogniser's front end restarts per utterance (session 17 found transcripts of
    short prompts changed after a loud noise had been decoded)."""
    import warnings

    import soundfile as sf

    from toolkit.tts.asr import transcribe

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pysptk

    x, sr = sf.read(pysptk.util.example_audio_file())  # arctic_a0007, 16 kHz
    part = x[sr:2 * sr]  # "... want to see it": short, so the carried-over state mattered
    first = transcribe(part, sr)
    for before in (np.random.default_rng(0).standard_normal(2 * sr) * 0.3, 0.001 * x):
        transcribe(before, sr)
        assert transcribe(part, sr) == first


def test_experiments_of_a_config(tmp_path):
    from toolkit.tts.experiments import write_experiments

    for name, pairs in (("train", [("en", "a"), ("fr", "b")]), ("adapt_train", [("it", "c")])):
        keys = [f"{spk}-1" for _, spk in pairs]
        write_datadir(tmp_path / "dump" / name, {
            "utt2lang": {k: lang for k, (lang, _) in zip(keys, pairs, strict=True)},
            "utt2spk": {k: spk for k, (_, spk) in zip(keys, pairs, strict=True)}}, {})
    conf = tmp_path / "c.yaml"
    conf.write_text("""model: {name: mlms, conf: {languages: [en, fr], speakers: [a, b]}}
experiments:
  mlms_rand: {}
  onehot: {set: {model: {conf: {code_init: onehot}}}}
  base_{lang}_{spk}: {pairs: train, set: {experiment: {kind: baseline}}}
  adapt_v1_{lang}_{spk}: {pairs: adapt_train, init: mlms_rand,
                          set: {experiment: {kind: adapt, variant: v1}}}
  ref_ridge: {reference: ridge}
""")
    exps = write_experiments(conf, tmp_path / "dump", tmp_path / "exp")
    assert [(e.name, e.train, e.test, e.fit) for e in exps] == [
        ("mlms_rand", "train", "test", "train"), ("onehot", "train", "test", "train"),
        ("base_en_a", "train", "test", "train"), ("base_fr_b", "train", "test", "train"),
        ("adapt_v1_it_c", "adapt_train", "adapt_test", "train"),
        ("ref_ridge", "train", "test", "ridge")]
    from toolkit.config import load_config
    from toolkit.tts.config import TtsConfig

    base = load_config(TtsConfig, tmp_path / "exp" / "conf" / "base_fr_b.yaml")
    assert base.model.name == "lstm_sss" and base.model.conf["speakers"] == ["b"]
    adapt = load_config(TtsConfig, tmp_path / "exp" / "conf" / "adapt_v1_it_c.yaml")
    assert adapt.experiment.init == str(tmp_path / "exp" / "mlms_rand")
    assert adapt.model.conf["languages"] == ["en", "fr", "it"]
    assert load_config(TtsConfig, exps[1].config).model.conf["code_init"] == "onehot"
    conf.write_text(conf.read_text().replace("reference: ridge", "reference: lasso"))
    with pytest.raises(ConfigError, match="ref_ridge.reference: 'lasso'"):
        write_experiments(conf, tmp_path / "dump", tmp_path / "exp")
    conf.write_text(conf.read_text().replace("init: mlms_rand", "init: nope"))
    with pytest.raises(ConfigError, match="nope"):
        write_experiments(conf, tmp_path / "dump", tmp_path / "exp")


def test_experiments_on_adaptation_sizes_and_a_model_folder(tmp_path):
    from toolkit.tts.experiments import write_experiments

    for name in ("train", "adapt_train", "adapt_train_16"):
        write_datadir(tmp_path / "dump" / name, {"utt2lang": {"c-1": "it"},
                                                 "utt2spk": {"c-1": "c"}}, {})
    other = tmp_path / "other" / "mlms"
    other.mkdir(parents=True)
    conf = tmp_path / "c.yaml"
    conf.write_text(f"""model: {{name: mlms, conf: {{languages: [en], speakers: [a]}}}}
experiments:
  s16_{{lang}}_{{spk}}: {{pairs: adapt_train_16, set: {{experiment: {{kind: baseline}}}}}}
  v1_16_{{lang}}_{{spk}}: {{pairs: adapt_train_16, init: {other},
                         set: {{experiment: {{kind: adapt, variant: v1}}}}}}
""")
    with pytest.raises(ConfigError, match="no trained model folder"):
        write_experiments(conf, tmp_path / "dump", tmp_path / "exp")
    (other / "config.yaml").write_text("model: {name: mlms}\n")
    exps = write_experiments(conf, tmp_path / "dump", tmp_path / "exp")
    assert [(e.name, e.train, e.dev, e.test) for e in exps] == [
        ("s16_it_c", "adapt_train_16", "adapt_dev", "adapt_test"),
        ("v1_16_it_c", "adapt_train_16", "adapt_dev", "adapt_test")]
    from toolkit.config import load_config
    from toolkit.tts.config import TtsConfig

    assert load_config(TtsConfig, exps[1].config).experiment.init == str(other)
    conf.write_text(conf.read_text().replace("adapt_train_16", "adapt_train_64"))
    with pytest.raises(ConfigError, match="adapt_train_64 does not exist"):
        write_experiments(conf, tmp_path / "dump", tmp_path / "exp")


def test_report_tables_adaptation_sizes(tmp_path):
    import json

    from toolkit.tts.report import make_report

    for size, system, mcd in ((16, "scratch", 9.5), (16, "adapt_v1", 8.7), (256, "scratch", 7.9)):
        folder = tmp_path / "exp" / f"size{size}_{system}_bg_tuxpaint-bg" / "scores"
        folder.mkdir(parents=True)
        for s in ("adapt_dev", "adapt_test"):
            (folder / f"{s}.json").write_text(json.dumps({"mcd_db": mcd, "f0_rmse_cents": 300.0}))
    text = make_report(tmp_path / "exp", tmp_path / "exp" / "RESULTS.md")
    section = text.split("## Adaptation with n utterances")[1]
    assert "| 16 | adapt v1 | 8.700 | 8.700 | 300.0 |" in section
    assert "| 256 | scratch | 7.900 |" in section and "| 256 | adapt v1 |" not in section
    assert "size16_" not in text.split("## Training languages")[0]  # not an MLMS row
