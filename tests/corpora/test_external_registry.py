"""``sptk-cli corpus prepare``: the registry of public-corpus importers and its one verb."""

from __future__ import annotations

import inspect

import pytest

from tests.conftest import assert_one_line_error, run_cli, write_wav
from toolkit.corpora import external
from toolkit.errors import UserError


@pytest.mark.parametrize("name", external.IMPORTERS)
def test_every_importer_has_prepare_path_dst_and_a_description(name):
    params = list(inspect.signature(external.importer(name).prepare).parameters)
    assert params[:2] == ["path", "dst"] and params[-1] == "overwrite"
    assert len(external.description(name)) > 30


def test_options_are_converted_by_annotation():
    kwargs = external.parse_options("dns_challenge", ["langs=fr,ru"])
    assert kwargs == {"langs": ["fr", "ru"]}
    assert external.parse_options("aed_layouts", ["esc10_only=true"]) == {"esc10_only": True}
    with pytest.raises(UserError, match="no such option"):
        external.parse_options("arctic", ["lang=en"])
    with pytest.raises(UserError, match="unknown corpus"):
        external.importer("timit")


def _real_aec_set(root):
    for clip, scen in (("abc", "farend-singletalk"), ("abd", "doubletalk")):
        for role in ("lpb", "mic"):
            write_wav(root / f"{clip}_{scen}_{role}.wav", 0.2)


def test_cli_prepare_runs_the_importer(tmp_path):
    _real_aec_set(tmp_path / "blind")
    proc = run_cli("corpus", "prepare", "aec_challenge", "--path", tmp_path / "blind",
                   "--dst", tmp_path / "out", "--opt", "subset=real", check=True)
    assert "2 entries" in proc.stdout
    assert len((tmp_path / "out" / "wav.scp").read_text().splitlines()) == 2


def test_cli_prepare_splits_folds(tmp_path):
    root = tmp_path / "esc10"
    for i, (d, f) in enumerate([("001 - Dog bark", "1-100032-A.wav"),
                                ("010 - Rain", "2-17150-A.wav")]):
        write_wav(root / d / f, 0.2, seed=i)
    run_cli("corpus", "prepare", "aed_layouts", "--path", root, "--dst", tmp_path / "d",
            "--opt", "train_folds=1", "--opt", "test_folds=2", check=True)
    assert (tmp_path / "d" / "train" / "wav.scp").read_text().startswith("1-100032-A ")
    assert (tmp_path / "d" / "test" / "label").read_text() == "2-17150-A rain\n"


def test_cli_prepare_list_and_bad_input(tmp_path):
    listing = run_cli("corpus", "prepare", "--list", check=True).stdout
    assert all(name in listing for name in external.IMPORTERS)
    assert "options: subset=auto" in listing
    assert_one_line_error(run_cli("corpus", "prepare", "timit", "--path", tmp_path,
                                  "--dst", tmp_path / "o"), "unknown corpus 'timit'")
    assert_one_line_error(run_cli("corpus", "prepare", "arctic", "--path", tmp_path / "none",
                                  "--dst", tmp_path / "o"), "no such file")
    assert_one_line_error(run_cli("corpus", "prepare", "arctic", "--path", tmp_path,
                                  "--dst", tmp_path / "o", "--opt", "x"), "KEY=VALUE")
    assert_one_line_error(run_cli("corpus", "prepare", "arctic"), "--path")
