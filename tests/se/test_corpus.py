"""LibriSpeech + WHAM! and DNS Challenge layouts by path; the source / target mixer."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import assert_one_line_error, run_cli, write_wav
from toolkit.data.datadir import DataDir
from toolkit.errors import UserError


def _librispeech(root):
    for spk, chap in (("19", "198"), ("26", "495")):
        d = root / "train-clean-100" / spk / chap
        lines = []
        for i in range(3):
            key = f"{spk}-{chap}-{i:04d}"
            write_wav(d / f"{key}.flac", 2.0, seed=i)
            lines.append(f"{key} SOME WORDS {i}")
        (d / f"{spk}-{chap}.trans.txt").write_text("\n".join(lines) + "\n")


def test_librispeech_wham_and_dns_layouts_then_mix(tmp_path):
    from toolkit.corpora.external import dns_challenge, librispeech_wham
    from toolkit.data.ops import combine
    from toolkit.se.config import UDACorpusConfig
    from toolkit.se.corpus import mix_uda_corpus

    _librispeech(tmp_path / "LibriSpeech")
    for split in ("tr", "cv", "tt"):
        for i in range(2):
            write_wav(tmp_path / "wham" / split / f"n{i}.wav", 3.0, seed=10 + i, channels=2)
    for sub, stem in (("french_data", "book_00001_chp_0001_reader_00042_{}"),
                      ("russian_speech", "r_{}"), ("read_speech", "en_{}")):
        for i in range(3):
            write_wav(tmp_path / "dns" / "clean" / sub / f"{stem.format(i)}.wav", 2.0, seed=i)
    for i in range(6):
        write_wav(tmp_path / "dns" / "noise" / f"door_{i}.wav", 3.0, seed=30 + i)

    librispeech_wham.prepare(tmp_path / "LibriSpeech", tmp_path / "src",
                             wham=tmp_path / "wham", subsets=["train-clean-100"])
    dns_challenge.prepare(tmp_path / "dns", tmp_path / "tgt", ["fr", "ru"])
    src, tgt = DataDir(tmp_path / "src" / "speech"), DataDir(tmp_path / "tgt" / "speech")
    assert len(src) == 6 and set(src.read("utt2lang").values()) == {"en"}
    assert set(tgt.read("utt2lang").values()) == {"fr", "ru"} and len(tgt) == 6
    assert "dns-fr-00042" in set(tgt.read("utt2spk").values())
    assert len(DataDir(tmp_path / "src" / "noise")) == 6

    combine([tmp_path / "src" / "speech", tmp_path / "tgt" / "speech"], tmp_path / "speech")
    conf = UDACorpusConfig(target_langs=["fr", "ru"], n_source_train=4, n_source_dev=2,
                           n_target_train=4, n_target_dev=2, n_target_test=2, dev_share=0.2,
                           test_share=0.2)
    mix_uda_corpus(tmp_path / "mix", tmp_path / "speech", tmp_path / "src" / "noise",
                   tmp_path / "tgt" / "noise", conf)
    test = DataDir(tmp_path / "mix" / "target_test")
    assert sorted(set(test.read("utt2snr").values())) == ["-5.0", "0.0", "5.0"]
    assert len(test) == 6 and set(test.read("utt2lang").values()) <= {"fr", "ru"}
    train = DataDir(tmp_path / "mix" / "source_train")
    assert set(train.read("utt2domain").values()) == {"source"}
    # speech + noise = noisy (16-bit files)
    from toolkit.data.audio import load_mono

    k = train.keys()[0]
    x, s, n = (load_mono(train.read(r)[k])[0] for r in ("wav.scp", "speech.scp", "noise.scp"))
    assert abs(x - s - n).max() < 3e-4
    # train, dev and test speech utterances are disjoint in the target domain
    def speech_of(d):
        return {v.split()[0] for v in DataDir(tmp_path / "mix" / d).read("utt2origin").values()}
    sets = [speech_of(d) for d in ("target_train", "target_dev", "target_test")]
    assert all(sets) and not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])


def test_bad_layouts_are_one_line_errors(tmp_path):
    proc = run_cli("corpus", "prepare", "dns_challenge", "--path", tmp_path, "--dst",
                   tmp_path / "o")
    assert_one_line_error(proc, "clean/")
    proc = run_cli("corpus", "prepare", "librispeech_wham", "--path", tmp_path, "--dst",
                   tmp_path / "o", "--opt", f"wham={tmp_path}")
    assert_one_line_error(proc, "train-clean-100")


def _pools(root, langs: list[str], speech_s: float, noise_s: float) -> dict[str, str]:
    """Speech pool ``root/speech`` (utterance i in ``langs[i]``, two talkers a language)
    and noise pools ``root/src``, ``root/tgt`` of six files; returns the speech wav.scp."""
    from toolkit.data.datadir import write_datadir

    speech, lang, spk = {}, {}, {}
    for i, lg in enumerate(langs):
        key = f"{lg}-{i:02d}"
        speech[key] = str(write_wav(root / "wav" / "sp" / f"{key}.wav", speech_s, seed=i))
        lang[key], spk[key] = lg, f"{lg}-talker{i % 2}"
    write_datadir(root / "speech", {"wav.scp": speech, "utt2lang": lang, "utt2spk": spk},
                  {"sample_rate": 16000})
    for name in ("src", "tgt"):
        files = {f"{name}{i}": str(write_wav(root / "wav" / name / f"{i}.wav", noise_s,
                                             seed=20 + i)) for i in range(6)}
        write_datadir(root / name, {"wav.scp": files}, {"sample_rate": 16000})
    return speech


def test_target_reverberation_uses_disjoint_rooms_and_labels_the_reverberant_speech(tmp_path):
    from toolkit.data.audio import load_mono
    from toolkit.data.datadir import write_datadir
    from toolkit.se.config import UDACorpusConfig
    from toolkit.se.corpus import mix_uda_corpus

    rng = np.random.default_rng(0)
    speech = _pools(tmp_path, ["en"] * 6 + ["fr"] * 6, 1.0, 2.0)
    rirs = {}
    for i in range(10):  # a decaying tail: reverberant speech differs from the dry speech
        h = np.zeros(4000, np.float32)
        h[0] = 1.0
        h[1:] = 0.3 * rng.standard_normal(3999) * np.exp(-np.arange(1, 4000) / 800)
        path = tmp_path / "wav" / "rirs" / f"room{i}.wav"
        path.parent.mkdir(exist_ok=True)
        sf.write(path, h, 16000, subtype="FLOAT")
        rirs[f"room{i:02d}"] = str(path)
    write_datadir(tmp_path / "rirs", {"wav.scp": rirs}, {"sample_rate": 16000})
    conf = UDACorpusConfig(target_langs=["fr"], n_source_train=6, n_source_dev=2,
                           n_target_train=20, n_target_dev=4, n_target_test=4, dev_share=0.2,
                           test_share=0.2, target_reverb=1.0)
    mix_uda_corpus(tmp_path / "mix", tmp_path / "speech", tmp_path / "src", tmp_path / "tgt",
                   conf, rirs_dir=tmp_path / "rirs")

    def rooms_of(d):
        return {v.split()[2] for v in DataDir(tmp_path / "mix" / d).read("utt2origin").values()
                if len(v.split()) > 2}
    sets = [rooms_of(d) for d in ("target_train", "target_dev", "target_test")]
    assert all(sets) and not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
    assert not rooms_of("source_train")  # the source domain stays dry
    d = DataDir(tmp_path / "mix" / "target_train")
    k = d.keys()[0]
    x, s, n = (load_mono(d.read(r)[k])[0] for r in ("wav.scp", "speech.scp", "noise.scp"))
    assert abs(x - s - n).max() < 3e-4  # the label is the reverberant speech
    dry, _ = load_mono(speech[d.read("utt2origin")[k].split()[0]])
    assert abs(np.corrcoef(s, dry[: len(s)])[0, 1]) < 0.99
    with pytest.raises(UserError, match="room pool"):
        mix_uda_corpus(tmp_path / "mix2", tmp_path / "speech", tmp_path / "src",
                       tmp_path / "tgt", conf)


def test_test_sets_span_every_talker_and_table2_set_is_added_to_a_finished_corpus(tmp_path,
                                                                                 caplog):
    """The target test utterances are drawn over the whole test split (not the first
    talker in key order); the source-language test set of Table 2 can be added later."""
    import dataclasses

    from toolkit.se.config import UDACorpusConfig
    from toolkit.se.corpus import SOURCE_LANG_TEST, mix_uda_corpus

    _pools(tmp_path, ["en"] * 20 + ["fr"] * 20 + ["ru"] * 20, 0.5, 1.0)
    conf = UDACorpusConfig(target_langs=["fr", "ru"], n_source_train=6, n_source_dev=2,
                           n_target_train=6, n_target_dev=2, n_target_test=4,
                           dev_share=0.2, test_share=0.3)
    args = (tmp_path / "speech", tmp_path / "src", tmp_path / "tgt")
    mix = mix_uda_corpus(tmp_path / "mix", *args, conf)
    assert not (mix / SOURCE_LANG_TEST).exists()
    test = DataDir(mix / "target_test")
    assert set(test.read("utt2lang").values()) == {"fr", "ru"}
    assert len(set(test.read("utt2spk").values())) >= 3
    before = (mix / "target_test" / "utt2origin").read_text()

    mix_uda_corpus(mix, *args, dataclasses.replace(conf, n_target_test_source_lang=3))
    assert (mix / "target_test" / "utt2origin").read_text() == before  # kept as it was
    extra = DataDir(mix / SOURCE_LANG_TEST)
    assert len(extra) == 9 and set(extra.read("utt2lang").values()) == {"en"}
    assert set(extra.read("utt2domain").values()) == {"target"}
    assert extra.meta["test_draw"] == test.meta["test_draw"] == "by_talker"
    # a corpus mixed by the old rule is kept, but said to be stale
    from toolkit.data.datadir import read_meta, write_meta

    old = {k: v for k, v in read_meta(mix / "target_test").items() if k != "test_draw"}
    write_meta(mix / "target_test", old)
    with caplog.at_level(logging.WARNING, logger="toolkit.se.corpus"):
        mix_uda_corpus(mix, *args, conf)
    assert "--overwrite" in caplog.text
    # source-language utterances held out of source training; target test noises
    train = {v.split()[0] for v in DataDir(mix / "source_train").read("utt2origin").values()}
    origin = [v.split() for v in extra.read("utt2origin").values()]
    assert not {o[0] for o in origin} & train
    tnoise = {v.split()[1] for v in test.read("utt2origin").values()}
    trnoise = {v.split()[1] for v in DataDir(mix / "target_train").read("utt2origin").values()}
    assert {o[1] for o in origin} <= tnoise | (set(DataDir(tmp_path / "tgt").keys()) - trnoise)


def test_talker_prefixes_narrow_each_domain(tmp_path):
    """``source_talkers`` / ``target_talkers`` keep only talkers whose names start with
    a given prefix; a prefix that matches nothing is a one-line error naming the key."""
    import dataclasses

    from toolkit.se.config import UDACorpusConfig
    from toolkit.se.corpus import mix_uda_corpus

    _pools(tmp_path, ["en"] * 8 + ["fr"] * 8, 0.5, 1.0)
    args = (tmp_path / "speech", tmp_path / "src", tmp_path / "tgt")
    conf = UDACorpusConfig(target_langs=["fr"], n_source_train=6, n_source_dev=2,
                           n_target_train=6, n_target_dev=2, n_target_test=2, dev_share=0.2,
                           test_share=0.2, source_talkers=["en-talker1"],
                           target_talkers=["fr-talker0"])
    mix = mix_uda_corpus(tmp_path / "mix", *args, conf)
    talkers = {d: set(DataDir(mix / d).read("utt2spk").values())
               for d in ("source_train", "source_dev", "target_train", "target_test")}
    assert talkers["source_train"] | talkers["source_dev"] == {"en-talker1"}
    assert talkers["target_train"] | talkers["target_test"] == {"fr-talker0"}
    wide = mix_uda_corpus(tmp_path / "wide", *args,
                          UDACorpusConfig(target_langs=["fr"], n_source_train=6,
                                          n_source_dev=2, n_target_train=6, n_target_dev=2,
                                          n_target_test=2, dev_share=0.2, test_share=0.2))
    assert set(DataDir(wide / "source_train").read("utt2spk").values()) == {"en-talker0",
                                                                            "en-talker1"}
    with pytest.raises(UserError, match="corpus.target_talkers"):
        mix_uda_corpus(tmp_path / "none", *args,
                       dataclasses.replace(conf, target_talkers=["de-"]))
