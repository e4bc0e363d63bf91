"""Data directories: read/write, validation, shard/merge/subset/combine/split/jsonl."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_one_line_error, write_wav
from toolkit.data.datadir import DataDir, read_kv, write_datadir
from toolkit.data.ops import combine, merge, parse_shard, shard, shard_keys, split, subset
from toolkit.data.validate import validate_datadir
from toolkit.errors import DataDirError, UserError


def test_write_sorts_in_byte_order_and_keeps_spaces_in_values(tmp_path):
    keys = {"b": "/x/a b.wav", "B": "/y/é ü.wav", "a_1": "v", "a-1": "w"}
    d = write_datadir(tmp_path / "d", {"wav.scp": keys}, {"sample_rate": 8000})
    lines = (d / "wav.scp").read_text(encoding="utf-8").splitlines()
    assert [ln.split()[0] for ln in lines] == ["B", "a-1", "a_1", "b"]  # LC_ALL=C order
    assert read_kv(d / "wav.scp")["B"] == "/y/é ü.wav"
    assert (d / ".done").is_file() and "sample_rate: 8000" in (d / "meta.yaml").read_text()


def test_utt2spk_derives_spk2utt(tmp_path):
    d = write_datadir(tmp_path / "d", {"utt2spk": {"u2": "s1", "u1": "s1", "u3": "s2"}}, {})
    assert read_kv(d / "spk2utt") == {"s1": "u1 u2", "s2": "u3"}


def test_key_with_whitespace_is_rejected(tmp_path):
    with pytest.raises(DataDirError, match="whitespace"):
        write_datadir(tmp_path / "d", {"text": {"a b": "x"}}, {})
    assert not (tmp_path / "d").exists()  # nothing half-written


def test_read_kv_reports_duplicates_with_line(tmp_path):
    (tmp_path / "label").write_text("a x\nb y\na z\n")
    with pytest.raises(DataDirError, match="line 3: duplicate key 'a'"):
        read_kv(tmp_path / "label")


def test_validate_ok_and_counts(tiny_datadir):
    report = validate_datadir(tiny_datadir(4))
    assert report.ok, report.problems
    assert report.utterances == 4 and report.hours == pytest.approx(4 * 0.5 / 3600)


@pytest.mark.parametrize("damage, needle", [
    (lambda d: (d / "label").write_text("utt01 tone\nutt00 noise\nutt02 noise\n"), "out of order"),
    (lambda d: (d / "label").write_text("utt00 noise\nutt01 tone\n"), "keys differ"),
    (lambda d: (d / "label").unlink(), "missing 'label'"),
    (lambda d: (d / "meta.yaml").write_text("sample_rate: 8000\ntask: tone\n"), "8000 Hz"),
    (lambda d: (d / "wav.scp").write_text(
        (d / "wav.scp").read_text().replace("clip é 1.wav", "gone.wav")), "no such file"),
    (lambda d: (d / "spk2utt").write_text("s0 utt00\ns1 utt01\n"), "spk2utt"),
])
def test_validate_finds_each_problem(tiny_datadir, damage, needle):
    d = tiny_datadir(3)
    damage(d)
    report = validate_datadir(d, task="tone")
    assert not report.ok
    assert any(needle in p for p in report.problems), report.problems


def test_validate_full_decode_catches_corrupt_audio(tiny_datadir):
    d = tiny_datadir(2)
    path = DataDir(d).read("wav.scp")["utt00"]
    with open(path, "r+b") as f:
        f.truncate(20)
    assert not validate_datadir(d, check_audio="full").ok


def test_segments_are_checked(tmp_path):
    reco = write_wav(tmp_path / "r.wav", seconds=2)
    files = {"wav.scp": {"rec": str(reco)}, "segments": {"s1": "rec 0.0 1.0", "s2": "rec 1.5 1.0"},
             "text": {"s1": "a", "s2": "b"}}
    d = write_datadir(tmp_path / "d", files, {"sample_rate": 16000})
    report = validate_datadir(d)
    assert any("0 <= start < end" in p for p in report.problems)
    assert DataDir(d).audio_spec("s1") == (str(reco), 0.0, 1.0)


def test_shard_keys_contiguous_and_balanced():
    keys = [f"k{i:02d}" for i in range(10)]
    shards = [shard_keys(keys, j, 3) for j in (1, 2, 3)]
    assert [len(s) for s in shards] == [4, 3, 3]
    assert sum(shards, []) == keys
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "a/b", "3"):
        with pytest.raises(UserError):
            parse_shard(bad)


def test_shard_then_merge_round_trips(tiny_datadir, tmp_path):
    d = tiny_datadir(7)
    parts = [shard(d, tmp_path / f"s{j}", j, 3) for j in (1, 2, 3)]
    assert DataDir(parts[0]).read("spk2utt")  # speaker files follow the shard
    merged = merge(parts, tmp_path / "m")
    for f in ("wav.scp", "label", "utt2spk", "spk2utt"):
        assert (merged / f).read_text() == (d / f).read_text()


def test_merge_rejects_overlap(tiny_datadir, tmp_path):
    d = tiny_datadir(3)
    with pytest.raises(DataDirError, match="given twice"):
        merge([d, d], tmp_path / "m")
    e = tiny_datadir(3, name="e")  # other folder, same keys
    with pytest.raises(DataDirError, match="in both"):
        merge([d, e], tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_combine_with_prefix(tiny_datadir, tmp_path):
    a = tiny_datadir(2, name="a")
    b = tiny_datadir(2, name="b")
    (b / "label").write_text("utt00 tone\nutt01 tone\n")  # same keys, other items
    with pytest.raises(DataDirError, match="--prefix"):
        combine([a, b], tmp_path / "c")
    c = DataDir(combine([a, b], tmp_path / "c", prefix=True))
    assert c.keys() == ["a-utt00", "a-utt01", "b-utt00", "b-utt01"]
    assert c.read("utt2spk")["b-utt01"] == "b-s1" and c.read("label")["b-utt00"] == "tone"
    assert validate_datadir(c.path).ok
    named = DataDir(combine([a, b], tmp_path / "n", names=["x", "y"]))  # not the folders' names
    assert named.keys() == ["x-utt00", "x-utt01", "y-utt00", "y-utt01"]
    with pytest.raises(UserError, match="one per input"):
        combine([a, b], tmp_path / "m", names=["x"])
    with pytest.raises(UserError, match="different"):
        combine([a, b], tmp_path / "m", names=["x", "x"])


def test_combine_common_keeps_shared_files_and_agreed_meta(tiny_datadir, tmp_path):
    import yaml

    a = tiny_datadir(2, name="a")
    b = tiny_datadir(2, name="b")
    (b / "drums.scp").write_text("utt00 /x/d0.wav\nutt01 /x/d1.wav\n")   # only in b
    for d, lic in ((a, "research use only"), (b, "CC-BY 4.0")):
        meta = yaml.safe_load((d / "meta.yaml").read_text())
        (d / "meta.yaml").write_text(yaml.safe_dump({**meta, "stems_rate": 8192, "licence": lic}))
    with pytest.raises(DataDirError, match="drums.scp.*--common"):
        combine([a, b], tmp_path / "c", prefix=True)
    c = DataDir(combine([a, b], tmp_path / "c", prefix=True, common=True))
    assert "drums.scp" not in c.files() and len(c.keys()) == 4
    assert c.meta["stems_rate"] == 8192 and c.meta["task"] == "tone"
    assert c.meta["licence"] == "research use only; CC-BY 4.0"
    assert validate_datadir(c.path).ok


def test_subset_and_split_are_disjoint(tiny_datadir, tmp_path):
    d = tiny_datadir(10)
    s = DataDir(subset(d, tmp_path / "s", ["utt03", "utt07"]))
    assert s.keys() == ["utt03", "utt07"] and set(s.read("label")) == {"utt03", "utt07"}
    outs = split(d, tmp_path / "parts", [("train", 0.6), ("dev", 0.2), ("test", 0.2)], seed=1)
    sets = [set(DataDir(p).keys()) for p in outs]
    assert [len(x) for x in sets] == [6, 2, 2]
    assert set.union(*sets) == set(DataDir(d).keys())
    by_spk = split(d, tmp_path / "spk", [("a", 0.5), ("b", 0.5)], by_speaker=True)
    spks = [set(DataDir(p).read("utt2spk").values()) for p in by_spk]
    assert not spks[0] & spks[1]


def test_cli_data_commands(cli, tiny_datadir, tmp_path):
    d = tiny_datadir(6)
    assert "OK (6 utterances" in cli("data", "validate", d, check=True).stdout
    cli("data", "shard", d, "3", check=True)
    assert sorted(p.name for p in (d / "split3").iterdir()) == ["1", "2", "3"]
    cli("data", "merge", *(d / "split3" / str(j) for j in (1, 2, 3)), "-o", tmp_path / "m",
        check=True)
    assert (tmp_path / "m" / "wav.scp").read_text() == (d / "wav.scp").read_text()
    cli("data", "subset", d, "--first", "2", "-o", tmp_path / "f", check=True)
    assert DataDir(tmp_path / "f").keys() == ["utt00", "utt01"]
    rows = [json.loads(x) for x in cli("data", "to-jsonl", d, check=True).stdout.splitlines()]
    assert rows[0]["key"] == "utt00" and rows[0]["label"] == "noise" and "é" in rows[0]["wav"]
    # a second run skips (done marker); --overwrite redoes
    again = cli("data", "subset", d, "--first", "3", "-o", tmp_path / "f", check=True)
    assert "skipping" in again.stderr and len(DataDir(tmp_path / "f")) == 2


def test_cli_bad_input_one_line(cli, tiny_datadir, tmp_path):
    d = tiny_datadir(3)
    (d / "label").write_text("utt00 noise\n")
    proc = cli("data", "validate", d)
    assert proc.returncode == 1 and "keys differ" in proc.stdout and "Traceback" not in proc.stderr
    assert_one_line_error(cli("data", "merge", d, d, "-o", tmp_path / "m"), "given twice")
    assert_one_line_error(cli("data", "subset", tmp_path / "nope", "--first", "1", "-o",
                              tmp_path / "x"), "does not exist")
    assert_one_line_error(cli("data", "subset", d, "-o", tmp_path / "x"), "--first")
    assert_one_line_error(cli("data", "validate", d, "--task", "nosuch"), "unknown task")
    assert_one_line_error(cli("data", "split", d, "-o", tmp_path / "p", "--parts", "a:0.5"), "1")
