"""Speech pools from the Debian packages: contents, determinism, shards, idempotence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import soundfile as sf

from toolkit.data.datadir import DataDir

SOURCES = {
    "asterisk": {"en", "es", "fr", "it", "ru"},
    "tuxpaint": {"be", "bg", "ca", "da", "el", "en", "es", "fr", "ro", "ru"},
    "ktuberling": {"ca", "da", "en", "fr", "ga", "ro", "sr", "wa"},
}
ROLES = ("wav.scp", "text", "utt2spk", "utt2lang", "utt2dur")


def check_datadir(path: Path) -> DataDir:
    """Validate a speech pool: sorted files, one key set, audio that matches utt2dur."""
    d = DataDir(path)
    assert (path / ".done").is_file()
    keys = d.keys()
    assert keys, "empty pool"
    for role in ROLES:
        lines = (path / role).read_text(encoding="utf-8").splitlines()
        file_keys = [line.split(" ", 1)[0] for line in lines]
        assert file_keys == sorted(file_keys, key=lambda k: k.encode()), f"{role} not sorted"
        assert file_keys == keys, f"{role} keys differ from wav.scp"
    spk = d.read("utt2spk")
    for key in keys:
        assert key.startswith(spk[key] + "-"), "keys must start with the speaker id"
        assert d.read("text")[key].strip(), f"{key}: empty text"
        info = sf.info(d.read("wav.scp")[key])
        assert info.samplerate == 16000 and info.channels == 1
        assert info.frames > 0
        assert abs(info.frames / 16000 - float(d.read("utt2dur")[key])) < 1e-3
    spk2utt = d.read("spk2utt")
    assert sorted(u for v in spk2utt.values() for u in v.split()) == keys
    assert d.meta["sample_rate"] == 16000
    return d


@pytest.fixture(params=sorted(SOURCES))
def pool(request, tmp_path, cli):
    source = request.param
    request.getfixturevalue(source)  # skips when the package is absent
    out = tmp_path / "pool"
    cli("corpus", "speech", "--out", str(out), "--sources", source, "--max-per-lang", "3",
            "--seed", "7")
    return source, out


def test_pool_contents(pool):
    source, out = pool
    d = check_datadir(out)
    langs = d.read("utt2lang")
    spks = d.read("utt2spk")
    expected = SOURCES[source]
    assert expected <= set(langs.values())
    counts: dict[str, int] = {}
    for lang in langs.values():
        counts[lang] = counts.get(lang, 0) + 1
    assert max(counts.values()) <= 3
    assert all(re.fullmatch(r"[a-z]{2,3}", lang) for lang in langs.values())
    assert all(spk.startswith(f"{source}-") for spk in spks.values())
    meta = d.meta["sources"][source]
    assert meta["licence"] in ("CC-BY-SA-3.0", "GPL-2", "GPL-2+")
    assert all(v != "not installed" for v in meta["packages"].values())


def test_asterisk_speakers(asterisk):
    from toolkit.corpora.debian.speech_pool import scan_sources

    clips = scan_sources(["asterisk"])
    speakers = {c.lang: c.speaker for c in clips}
    # en_US and es_MX are read by the same talker: one speaker id.
    assert speakers["en"] == speakers["es"] == "asterisk-allison"
    assert len(set(speakers.values())) == 4
    texts = {c.key: c.text for c in clips}
    assert texts["asterisk-allison-en-digits-1"] == "one"
    assert not any("[" in t or "(" in t for t in texts.values())
    assert "asterisk-carlo-it-beep" not in texts  # a tone, transcribed "un suono beep"
    assert not any("silence" in key for key in texts)


def test_list(tuxpaint, cli):
    proc = cli("corpus", "speech", "--list", "--sources", "tuxpaint", "--langs", "fr,ru")
    lines = proc.stdout.strip().splitlines()
    assert lines[0].split() == ["source", "lang", "speaker", "clips", "minutes"]
    rows = [line.split() for line in lines[1:-1]]
    assert [r[1] for r in rows] == ["fr", "ru"]
    assert all(int(r[3]) > 100 and float(r[4]) > 5 for r in rows)


def test_determinism_and_seed(tmp_path, tuxpaint):
    from toolkit.corpora.debian.speech_pool import build_speech_pool

    build_speech_pool(tmp_path / "a", ["tuxpaint"], ["fr", "ca"], 4, seed=3)
    build_speech_pool(tmp_path / "b", ["tuxpaint"], ["fr", "ca"], 4, seed=3)
    build_speech_pool(tmp_path / "c", ["tuxpaint"], ["fr", "ca"], 4, seed=4)
    a, b, c = (DataDir(tmp_path / n) for n in "abc")
    assert a.read("text") == b.read("text")
    assert a.keys() != c.keys()
    for key, path in a.read("wav.scp").items():
        assert Path(path).read_bytes() == Path(b.read("wav.scp")[key]).read_bytes()
    wav_a = (tmp_path / "a" / "wav.scp").read_text()
    assert wav_a.replace(str(tmp_path / "a"), "X") == \
        (tmp_path / "b" / "wav.scp").read_text().replace(str(tmp_path / "b"), "X")


def test_shards_cover_the_pool(tmp_path, ktuberling):
    from toolkit.corpora.debian.speech_pool import build_speech_pool

    args = (["ktuberling"], ["fr", "da", "ga"], 5)
    build_speech_pool(tmp_path / "all", *args, seed=1)
    build_speech_pool(tmp_path / "s1", *args, seed=1, shard=(1, 2))
    build_speech_pool(tmp_path / "s2", *args, seed=1, shard=(2, 2))
    whole, s1, s2 = (check_datadir(tmp_path / n) for n in ("all", "s1", "s2"))
    assert not set(s1.keys()) & set(s2.keys())
    assert sorted(s1.keys() + s2.keys()) == whole.keys()
    for role in ("text", "utt2spk", "utt2lang", "utt2dur"):
        assert {**s1.read(role), **s2.read(role)} == whole.read(role)


def test_idempotent_and_overwrite(tmp_path, ktuberling, cli):
    out = tmp_path / "pool"
    args = ("corpus", "speech", "--out", str(out), "--sources", "ktuberling", "--langs", "ga",
            "--max-per-lang", "2")
    cli(*args)
    wav = Path(DataDir(out).read("wav.scp")[DataDir(out).keys()[0]])
    first = (wav.stat().st_mtime_ns, (out / "text").stat().st_mtime_ns)
    proc = cli(*args)
    assert "skipping" in proc.stderr
    assert (wav.stat().st_mtime_ns, (out / "text").stat().st_mtime_ns) == first
    cli(*args, "--overwrite")
    assert wav.stat().st_mtime_ns != first[0]
    assert (out / ".done").is_file()
    check_datadir(out)


def test_resume_reuses_finished_audio(tmp_path, ktuberling):
    from toolkit.corpora.debian.speech_pool import build_speech_pool

    out = tmp_path / "pool"
    build_speech_pool(out, ["ktuberling"], ["ga"], 3)
    (out / ".done").unlink()  # as if killed before the end
    (out / "text").unlink()
    kept = sorted(out.glob("audio/*.wav"))
    stamps = [p.stat().st_mtime_ns for p in kept]
    stats = build_speech_pool(out, ["ktuberling"], ["ga"], 3)
    assert stats["clips"] == 3 and not stats["skipped"]
    assert [p.stat().st_mtime_ns for p in kept] == stamps
    check_datadir(out)


def test_bad_input_is_one_line(tmp_path, asterisk, cli):
    for args, fragment in [
        (("--sources", "asterisk", "--langs", "de"), "no selected source has language de"),
        (("--sources", "nope"), "unknown speech source 'nope'"),
        (("--shard", "3/2"), "--shard 3/2"),
    ]:
        proc = cli("corpus", "speech", "--out", str(tmp_path / "x"), *args, check=False)
        assert proc.returncode == 2
        errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and fragment in errors[0], proc.stderr
        assert "Traceback" not in proc.stderr


def test_missing_package_names_apt_line():
    from toolkit.corpora.debian import asterisk, ktuberling, tuxpaint
    from toolkit.errors import UserError

    for call, package in [(lambda: asterisk.scan(["fr"], root=Path("/nonexistent")),
                           "asterisk-core-sounds-fr-g722"),
                          (lambda: tuxpaint.scan(root=Path("/nonexistent")),
                           "tuxpaint-stamps-default"),
                          (lambda: ktuberling.scan(root=Path("/nonexistent")), "ktuberling-data")]:
        with pytest.raises(UserError, match=f"apt-get install .*{package}"):
            call()


def test_asterisk_transcript_cleaning():
    from toolkit.corpora.debian.asterisk import clean_transcript

    assert clean_transcript("at [@]") == "at"
    assert clean_transcript("[ascending tones]") is None
    assert clean_transcript("(beep)") is None
    assert clean_transcript("Pour (emphase)") is None
    assert clean_transcript("\ufeffPlease  hold. ") == "Please hold."
