"""The shared input/output planning of the single-file commands."""

from pathlib import Path

import pytest

from toolkit.cli.inputs import check_existing, expand_inputs, plan_outputs, self_output
from toolkit.errors import UserError


def touch(p: Path) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"x")
    return p


def test_files_folders_globs_once_each(tmp_path):
    a = touch(tmp_path / "a" / "song.wav")
    touch(tmp_path / "a" / "sub" / "x.flac")
    touch(tmp_path / "a" / "notes.txt")
    b = touch(tmp_path / "b" / "song.wav")
    got = expand_inputs([str(a), str(tmp_path / "a"), str(tmp_path / "b" / "*.wav")])
    assert [i.path for i in got] == [a, tmp_path / "a" / "sub" / "x.flac", b]
    assert [str(i.rel) for i in got] == ["song.wav", "sub/x.flac", "song.wav"]


@pytest.mark.parametrize("spec, msg", [("missing.wav", "no such file"),
                                       ("*.mp3", "matches no file"),
                                       ("empty", "holds no audio file")])
def test_bad_inputs_one_line(tmp_path, monkeypatch, spec, msg):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=msg):
        expand_inputs([spec])
    with pytest.raises(UserError, match="no audio file given"):
        expand_inputs([])


def test_same_name_in_two_folders_never_collides(tmp_path):
    ins = expand_inputs([str(touch(tmp_path / "a" / "song.wav")),
                         str(touch(tmp_path / "b" / "song.wav"))])
    outs = plan_outputs(ins, tmp_path / "out", Path("unused"), suffix="_enh")
    assert outs == [tmp_path / "out" / "a" / "song_enh.wav",
                    tmp_path / "out" / "b" / "song_enh.wav"]


def test_same_stem_two_extensions_never_collides(tmp_path):
    touch(tmp_path / "d" / "x.wav")
    touch(tmp_path / "d" / "x.flac")
    outs = plan_outputs(expand_inputs([str(tmp_path / "d")]), None, tmp_path / "o", as_dir=True)
    assert sorted(o.name for o in outs) == ["x_flac", "x_wav"]


def test_o_is_a_file_for_one_input_a_folder_for_several(tmp_path):
    one = expand_inputs([str(touch(tmp_path / "n.wav"))])
    assert plan_outputs(one, tmp_path / "y.wav", tmp_path) == [tmp_path / "y.wav"]
    (tmp_path / "dir").mkdir()
    assert plan_outputs(one, tmp_path / "dir", tmp_path) == [tmp_path / "dir" / "n.wav"]
    with pytest.raises(UserError, match="extension"):
        plan_outputs(one, tmp_path / "noext", tmp_path)
    assert plan_outputs(one, tmp_path / "dir", tmp_path, as_dir=True) == [tmp_path / "dir"]
    two = expand_inputs([str(tmp_path / "n.wav"), str(touch(tmp_path / "m.wav"))])
    with pytest.raises(UserError, match="is a file"):
        plan_outputs(two, tmp_path / "n.wav", tmp_path)


def test_existing_outputs_refused_skipped_or_replaced(tmp_path):
    ins = expand_inputs([str(touch(tmp_path / "a.wav")), str(touch(tmp_path / "b.wav"))])
    outs = plan_outputs(ins, tmp_path / "o", tmp_path)
    touch(outs[0])
    with pytest.raises(UserError, match="--overwrite"):
        check_existing(ins, outs, overwrite=False)
    assert check_existing(ins, outs, overwrite=False, skip_existing=True) == [1]
    assert check_existing(ins, outs, overwrite=True) == [0, 1]
    with pytest.raises(UserError, match="replace an input"):
        self_output(ins, [tmp_path / "a.wav"])
