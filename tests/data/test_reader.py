"""The data-directory reader and operations refuse what would silently go wrong (issue 18)."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from tests.conftest import cli_env
from toolkit.data.audio import load_audio
from toolkit.data.datadir import DataDir, read_kv
from toolkit.data.text import check_unique_keys, read_lines
from toolkit.data.ops import merge, parse_parts, select_keys, shard, subset, to_jsonl
from toolkit.data.validate import validate_datadir
from toolkit.errors import DataDirError, UserError


def test_bom_is_stripped_with_a_warning(tiny_datadir, caplog):
    d = tiny_datadir(3)
    label = d / "label"
    label.write_bytes(b"\xef\xbb\xbf" + label.read_bytes())
    with caplog.at_level(logging.WARNING):
        assert list(read_kv(label)) == ["utt00", "utt01", "utt02"]
    assert "byte-order mark" in caplog.text and str(label) in caplog.text
    assert validate_datadir(d, check_audio="none").ok  # not "out of order", same keys
    out = shard(d, d.parent / "s1", 1, 2)
    assert sorted(read_kv(out / "label")) == sorted(read_kv(out / "wav.scp"))


def test_crlf_and_unicode_separators(tmp_path):
    path = tmp_path / "text"
    path.write_bytes("a one\r\nb two\u2028still b\r\n".encode())
    assert read_kv(path) == {"a": "one", "b": "two\u2028still b"}
    assert read_lines(path) == ["a one", "b two\u2028still b"]
    path.write_bytes(b"a one\rb two\r")  # classic Mac line ends: not one key 'a'
    with pytest.raises(DataDirError, match="line 1: a carriage return inside the line"):
        read_kv(path)


def test_latin1_byte_names_file_and_line(tmp_path):
    path = tmp_path / "label"
    path.write_bytes("a ok\nb caf".encode() + b"\xe9\n")
    with pytest.raises(DataDirError, match=r"label line 2: byte 0xe9 at column 6 is not UTF-8"):
        read_kv(path)
    d = tmp_path / "d"
    d.mkdir()
    (d / "wav.scp").write_bytes(b"a /x\xe9.wav\n")
    report = validate_datadir(d, check_audio="none")
    assert not report.ok and "line 1: byte 0xe9" in report.problems[0]


def test_shard_refuses_mismatched_key_sets(tiny_datadir, tmp_path):
    d = tiny_datadir(4)
    (d / "label").write_text("utt00 noise\nutt01 tone\nutt02 noise\n")
    with pytest.raises(DataDirError, match=r"label: keys differ from wav.scp: 1 key\(s\) missing"):
        shard(d, tmp_path / "s", 1, 2)
    with pytest.raises(DataDirError, match="keys differ"):
        subset(d, tmp_path / "x", ["utt00"])
    with pytest.raises(DataDirError, match="keys differ"):
        to_jsonl(d, tmp_path / "x.jsonl")
    assert not (tmp_path / "s").exists() and not (tmp_path / "x").exists()


def test_merge_refuses_shards_without_done(tiny_datadir, tmp_path):
    d = tiny_datadir(4)
    parts = [shard(d, tmp_path / f"s{j}", j, 2) for j in (1, 2)]
    (parts[1] / ".done").unlink()  # its job was killed before the end
    with pytest.raises(DataDirError, match=r"s2 is not complete \(no .done\)"):
        merge(parts, tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_empty_directory_and_empty_files_do_not_validate(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not validate_datadir(empty).ok
    (empty / "meta.yaml").write_text("sample_rate: 16000\n")
    (empty / "wav.scp").write_text("")
    report = validate_datadir(empty)
    assert not report.ok and "holds no utterances" in report.problems[0]


@pytest.mark.parametrize("text, needle", [
    ("sample_rate: sixteen\n", "sample_rate 'sixteen' is not a positive whole number"),
    ("sample_rate: -8000\n", "sample_rate -8000"),
    ("sample_rate: [16000\n", "meta.yaml line 2: not valid YAML"),
    ("task: tone\ntask: aec\n", "key 'task' is given twice"),
])
def test_bad_meta_yaml_is_one_problem_line(tiny_datadir, text, needle):
    d = tiny_datadir(2)
    (d / "meta.yaml").write_text(text)
    report = validate_datadir(d, check_audio="none")
    assert len(report.problems) == 1 and needle in report.problems[0]
    assert "\n" not in report.problems[0]
    with pytest.raises(UserError, match=needle.split(" line")[0]):
        DataDir(d).sample_rate  # noqa: B018


def test_subset_selections_exclude_each_other(tiny_datadir):
    d = tiny_datadir(4)
    with pytest.raises(UserError, match="--first and --random exclude each other"):
        select_keys(d, first=2, random_n=2)
    with pytest.raises(UserError, match="--first and --last"):
        select_keys(d, first=2, last=1)
    assert select_keys(d, first=2) == ["utt00", "utt01"]


@pytest.mark.parametrize("parts, needle", [
    ("a:0.5,a:0.5", "part name 'a' is given twice"),
    ("../a:0.5,b:0.5", "must be a plain folder name"),
    ("a:nan,b:1", "expected name:fraction"),
])
def test_split_parts_refused(parts, needle):
    with pytest.raises(UserError, match=needle.replace("(", r"\(")):
        parse_parts(parts)


def test_check_unique_keys_names_both_inputs():
    assert check_unique_keys([("A", ["x", "y"]), ("B", ["z"])]) == {"x": "A", "y": "A", "z": "B"}
    with pytest.raises(DataDirError, match="key 'y' is in both A and B; rename"):
        check_unique_keys([("A", ["x", "y"]), ("B", ["y"])])


def test_pipe_reading_stdin_does_not_hang(tmp_path):
    wav = tmp_path / "a.wav"
    subprocess.run(["sox", "-n", "-r", "8000", str(wav), "trim", "0", "0.1"], check=True)
    x, sr = load_audio(f"cat {wav} | cat - |")
    assert sr == 8000 and x.shape[1] == 800
    # 'cat' without a file reads stdin; the caller's stdin is a terminal-like pipe that
    # never ends: without stdin=/dev/null for the pipe command this would wait forever
    code = "from toolkit.data.audio import load_audio\nload_audio('cat |')"
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=cli_env())
    try:
        proc.wait(timeout=30)  # TimeoutExpired: the hang
    finally:
        proc.kill()
        proc.stdin.close()
    assert "not audio" in proc.stderr.read()
