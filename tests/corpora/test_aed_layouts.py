"""Corpus layouts of the aed recipe -> data directories, and fold splits."""

from __future__ import annotations

import pytest

from tests.conftest import SHARED, assert_one_line_error, run_cli, write_wav
from toolkit.corpora.external.aed_layouts import (
    class_name,
    detect_layout,
    read_corpus,
    split_by_fold,
)
from toolkit.errors import UserError


def test_esc50_layout(tmp_path):
    root = tmp_path / "ESC-50"
    rows = ["filename,fold,target,category,esc10,src_file,take"]
    for i, (fold, cat, esc10) in enumerate([(1, "dog", "True"), (2, "rooster", "True"),
                                            (3, "chirping_birds", "False")]):
        name = f"{fold}-{1000 + i}-A-{i}.wav"
        write_wav(root / "audio" / name, 0.2, seed=i)
        rows.append(f"{name},{fold},{i},{cat},{esc10},{1000 + i},A")
    (root / "meta").mkdir()
    (root / "meta" / "esc50.csv").write_text("\n".join(rows) + "\n")
    assert detect_layout(root) == "esc50"
    files = read_corpus(root)
    assert files["label"] == {"1-1000-A-0": "dog", "2-1001-A-1": "rooster",
                              "3-1002-A-2": "chirping_birds"}
    assert files["utt2fold"]["3-1002-A-2"] == "3"
    assert len(read_corpus(root, esc10_only=True)["wav.scp"]) == 2


def test_esc10_release_layout_and_fold_split(tmp_path):
    root = tmp_path / "esc10"
    for i, (d, f) in enumerate([("001 - Dog bark", "1-100032-A.ogg"),
                                ("001 - Dog bark", "2-110389-A.ogg"),
                                ("010 - Fire crackling", "1-17150-A.ogg")]):
        write_wav(root / d / f.replace(".ogg", ".wav"), 0.2, seed=i)
    assert detect_layout(root) == "esc10"
    files = read_corpus(root)
    assert files["label"]["1-17150-A"] == "fire_crackling"
    parts = split_by_fold(files, {"train": ["1"], "test": ["2"]})
    assert sorted(parts["train"]["wav.scp"]) == ["1-100032-A", "1-17150-A"]
    assert list(parts["test"]["label"].values()) == ["dog_bark"]
    with pytest.raises(UserError, match="selects no clip"):
        split_by_fold(files, {"test": ["5"]})


def test_folder_per_class_and_datadir(tmp_path):
    for c in ("Cat Meow", "door"):
        for j in range(2):
            write_wav(tmp_path / "f" / c / "sub" / f"x{j}.wav", 0.2, seed=j)
    files = read_corpus(tmp_path / "f")
    assert sorted(set(files["label"].values())) == ["cat_meow", "door"]
    assert "cat_meow-sub_x0" in files["wav.scp"] and "utt2fold" not in files


def test_csv_layouts(tmp_path):
    audio = tmp_path / "audio"
    for stem in ("a1", "b2", "vid1_000030", "YT2_10.000"):
        write_wav(audio / f"{stem}.wav", 0.2)
    generic = tmp_path / "labels.csv"
    generic.write_text('file,labels,split\na1.wav,"Speech,Music",train\nb2.wav,Dog,test\n'
                       "missing.wav,Dog,test\n")
    files = read_corpus(generic, audio_root=audio)
    assert files["label"] == {"a1": "speech,music", "b2": "dog"}
    assert files["utt2fold"] == {"a1": "train", "b2": "test"}
    vgg = tmp_path / "vggsound.csv"
    vgg.write_text("vid1,30,playing bass guitar,test\n")
    assert read_corpus(vgg, audio_root=audio)["label"] == {"vid1_000030": "playing_bass_guitar"}
    aus = tmp_path / "eval_segments.csv"
    aus.write_text("# Segments csv\n# YTID, start_seconds, end_seconds, positive_labels\n"
                   'YT2, 10.000, 20.000, "/m/09x0r,/m/05zppz"\n')
    (tmp_path / "class_labels_indices.csv").write_text(
        'index,mid,display_name\n0,/m/09x0r,"Speech"\n1,/m/05zppz,"Male speech, man speaking"\n')
    assert read_corpus(aus, audio_root=audio)["label"] == {
        "YT2_10.000": "speech,male_speech_man_speaking"}


def test_class_name():
    assert class_name(" Dog bark ") == "dog_bark" and class_name("Rock'n'roll!") == "rock_n_roll"


def test_prepare_cli_and_bad_input(tmp_path):
    root = tmp_path / "c"
    for c in ("a", "b"):
        write_wav(root / f"00{ord(c) - 96} - {c.upper()}" / f"1-{ord(c)}-A.wav", 0.2)
    run_cli("aed", "prepare", root, "--out-dir", tmp_path / "data", "--folds", "train:1",
            check=True)
    assert (tmp_path / "data/train/utt2fold").read_text() == "1-97-A 1\n1-98-A 1\n"
    bad = run_cli("aed", "prepare", root, "--out-dir", tmp_path / "d2", "--folds", "train")
    assert_one_line_error(bad, "--folds")
    bad = run_cli("aed", "prepare", tmp_path / "nope", "--out-dir", tmp_path / "d3")
    assert_one_line_error(bad, "does not exist")


def test_prepare_test_fold_trains_on_every_other_fold(tmp_path):
    root = tmp_path / "c"
    for fold in (1, 2, 3):
        for c in ("a", "b"):
            write_wav(root / f"00{ord(c) - 96} - {c.upper()}" / f"{fold}-{ord(c)}-A.wav", 0.2)
    run_cli("aed", "prepare", root, "--out-dir", tmp_path / "data", "--test-fold", "2",
            check=True)
    train = (tmp_path / "data/train/utt2fold").read_text().split()
    assert sorted(set(train[1::2])) == ["1", "3"]
    assert set((tmp_path / "data/test/utt2fold").read_text().split()[1::2]) == {"2"}
    bad = run_cli("aed", "prepare", root, "--out-dir", tmp_path / "d2", "--test-fold", "7")
    assert_one_line_error(bad, "the corpus has folds 1, 2, 3")
    bad = run_cli("aed", "prepare", root, "--out-dir", tmp_path / "d3", "--test-fold", "1",
                  "--folds", "train:2")
    assert_one_line_error(bad, "not both")


@pytest.mark.skipif(not (SHARED / "data/esc10").is_dir(),
                    reason="../shared/data/esc10 (ESC-10 folds 1-3) is absent")
def test_shared_esc10_folds():
    files = read_corpus(SHARED / "data/esc10")
    assert len(files["wav.scp"]) == 240 and len(set(files["label"].values())) == 10
    assert sorted(set(files["utt2fold"].values())) == ["1", "2", "3"]
    parts = split_by_fold(files, {"train": ["1", "2"], "test": ["3"]})
    assert len(parts["train"]["wav.scp"]) == 160 and len(parts["test"]["wav.scp"]) == 80
