"""Noise pool: labels from paths, types and filtering, durations, shards, idempotence, CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from sound_helpers import read_scp, run_cli, same_audio_files

from toolkit.corpora.sounds import noise
from toolkit.corpora.sounds.noise_sources import SOURCES, TYPES, virtual_path
from toolkit.errors import UserError
from toolkit.fsutil import is_done

HAVE = set(noise.installed_sources())


def need(source: str):
    pkg = SOURCES[source].package
    return pytest.mark.skipif(source not in HAVE, reason=f"Debian package {pkg} not installed "
                              f"(apt-get install {pkg})")


@pytest.mark.parametrize("source,prefix,rel,kind", [
    ("hedgewars", "sfx", "voices/Default/Amazing.ogg", "voice"),
    ("hedgewars", "music", "Jungle.ogg", "music"),
    ("hedgewars", "sfx", "explosion.ogg", "impact"),
    ("hedgewars", "sfx", "countdown3.ogg", "alert"),
    ("hedgewars", "sfx", "jetpackboost.ogg", "machine"),
    ("wesnoth", "core", "ambient/birds1.ogg", "ambient"),
    ("wesnoth", "core", "orc-die-2.ogg", "vocal"),
    ("wesnoth", "core", "sword-1.ogg", "impact"),
    ("wesnoth", "ui", "button.wav", "alert"),
    ("colobot", "sfx", "sound006.wav", "machine"),
    ("colobot", "sfx", "sound076.wav", "ambient"),
    ("colobot", "sfx", "sound063.wav", "vocal"),
    ("colobot", "sfx", "sound002.wav", "impact"),
    ("colobot", "music", "Intro1.ogg", "music"),
    ("freedesktop", "theme", "audio-channel-front-left.oga", "voice"),
    ("freedesktop", "theme", "bell.oga", "alert"),
    ("freedesktop", "theme", "audio-test-signal.oga", None),
])
def test_paths_map_to_noise_types(source, prefix, rel, kind):
    assert SOURCES[source].classify(virtual_path(prefix, rel)) == kind


def test_every_rule_names_a_known_type():
    for src in SOURCES.values():
        assert src.default_type in TYPES
        assert all(t is None or t in TYPES for _, t in src.rules)


def build(out: Path, **kw) -> Path:
    kw.setdefault("n_procedural", 2)
    kw.setdefault("duration", 1.0)
    return noise.build_noise_pool(out, **kw)


@need("freedesktop")
def test_pool_files_labels_and_durations(tmp_path):
    out = build(tmp_path / "n", sources=["freedesktop", "procedural"], max_duration=1.5)
    assert is_done(out)
    wav, label, src = (read_scp(out / f) for f in ("wav.scp", "label", "utt2source"))
    dur = read_scp(out / "utt2dur")
    assert set(wav) == set(label) == set(src) == set(dur) == set(read_scp(out / "utt2origin"))
    assert {label[k] for k in wav} == {"alert", "voice", "white", "pink", "brown", "hum", "fan"}
    for key, path in wav.items():
        info = sf.info(path)
        assert info.samplerate == 16000 and info.channels == 1
        assert abs(info.frames / 16000 - float(dur[key])) < 1e-3
        assert float(dur[key]) <= 1.5 + 1e-3
        assert Path(path).parent == out.resolve() / "audio"
        assert src[key] == key.split("-")[0]
    meta = (out / "meta.yaml").read_text()
    assert "sound-theme-freedesktop" in meta and "CC-BY-SA-3.0" in meta and "seed: 0" in meta


@need("freedesktop")
def test_type_filters_make_disjoint_sets(tmp_path):
    chosen = ["white", "pink", "alert"]
    a = build(tmp_path / "a", sources=["freedesktop", "procedural"], types=chosen)
    b = build(tmp_path / "b", sources=["freedesktop", "procedural"], exclude_types=chosen)
    la, lb = read_scp(a / "label"), read_scp(b / "label")
    assert set(la.values()) == set(chosen)
    assert not set(la.values()) & set(lb.values())
    assert not set(la) & set(lb)


def test_procedural_only_needs_no_package_and_babble_needs_speech(tmp_path, speech_dir):
    out = build(tmp_path / "p", sources=["procedural", "babble"], babble_from=speech_dir)
    labels = read_scp(out / "label")
    assert sorted(set(labels.values())) == ["babble", "brown", "fan", "hum", "pink", "white"]
    origin = read_scp(out / "utt2origin")
    assert origin["babble-0000"].startswith("babble ")
    with pytest.raises(UserError, match="babble-from"):
        build(tmp_path / "q", sources=["babble"])
    with pytest.raises(UserError, match="unknown noise type"):
        build(tmp_path / "q", types=["rain"])


@need("freedesktop")
def test_shards_reproduce_the_whole_pool(tmp_path):
    kw = dict(sources=["freedesktop", "procedural"], seed=5, types=["alert", "pink", "fan"])
    whole = build(tmp_path / "whole", **kw)
    parts = [build(tmp_path / f"s{j}", shard=f"{j}/3", **kw) for j in (1, 2, 3)]
    keys = [list(read_scp(p / "wav.scp")) for p in parts]
    assert sorted(sum(keys, [])) == sorted(read_scp(whole / "wav.scp"))
    assert all(len(k) > 0 for k in keys)
    for p in parts:
        assert same_audio_files(whole, p) == []
        assert read_scp(p / "label").items() <= read_scp(whole / "label").items()


def test_seed_changes_generated_clips_only_when_it_should(tmp_path):
    a = build(tmp_path / "a", sources=["procedural"], seed=1)
    b = build(tmp_path / "b", sources=["procedural"], seed=1)
    c = build(tmp_path / "c", sources=["procedural"], seed=2)
    assert same_audio_files(a, b) == []
    assert len(same_audio_files(a, c)) == len(read_scp(a / "wav.scp"))


def test_finished_pool_is_skipped_unless_overwrite(tmp_path):
    out = build(tmp_path / "n", sources=["procedural"], types=["white"])
    wav = Path(read_scp(out / "wav.scp")["procedural-white-0000"])
    stamp = wav.stat().st_mtime_ns
    build(out, sources=["procedural"], types=["white"])
    assert wav.stat().st_mtime_ns == stamp
    build(out, sources=["procedural"], types=["pink"], overwrite=True)
    assert set(read_scp(out / "label").values()) == {"pink"}
    assert not wav.exists()  # old audio removed with the old build


def test_cli_list_build_and_errors(tmp_path):
    res = run_cli("corpus", "noise", "--list")
    assert res.returncode == 0
    for t in TYPES:
        assert t in res.stdout
    out = tmp_path / "cli"
    res = run_cli("corpus", "noise", "--out", out, "--sources", "procedural", "--types",
                  "hum,fan", "--n-procedural", "2", "--duration", "1", "--shard", "1/2")
    assert res.returncode == 0, res.stderr
    assert "2 items" in res.stdout
    assert set(read_scp(out / "label").values()) == {"fan"}  # sorted keys: fan before hum
    bad = run_cli("corpus", "noise", "--out", tmp_path / "bad", "--types", "rain")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1].startswith("error: unknown noise type 'rain'")
    assert "Traceback" not in bad.stderr
    bad = run_cli("corpus", "noise", "--out", tmp_path / "bad", "--shard", "3/2")
    assert bad.returncode == 2 and "error: --shard" in bad.stderr


def test_empty_shard_is_a_valid_empty_pool(tmp_path):
    """More jobs than clips (JOB=1:N with a small pool) must not fail a job."""
    out = build(tmp_path / "e", sources=["procedural"], types=["white"], shard="3/3")
    assert is_done(out) and read_scp(out / "wav.scp") == {}
