"""Config loading: dataclasses, unknown keys with dotted paths, --set overrides."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from toolkit.config import (
    apply_overrides,
    dump_yaml,
    from_dict,
    load_config,
    read_config,
    save_config,
)
from toolkit.errors import ConfigError
from toolkit.train.config import TrainConfig


@dataclass
class Inner:
    lr: float = 1e-3
    dims: list[int] = field(default_factory=lambda: [4, 4])
    act: str = "relu"


@dataclass
class Outer:
    name: str = "x"
    inner: Inner = field(default_factory=Inner)
    maybe: int | None = None
    flag: bool = False


def test_defaults_and_nested():
    cfg = from_dict(Outer, {"inner": {"lr": 0.1, "dims": [1, 2, 3]}, "maybe": 3})
    assert cfg.inner.lr == 0.1 and cfg.inner.dims == [1, 2, 3] and cfg.maybe == 3
    assert from_dict(Outer, {"inner": {"lr": "1e-4"}}).inner.lr == 1e-4  # YAML 1.1 quirk


@pytest.mark.parametrize("data, needle", [
    ({"inner": {"lrr": 1}}, "unknown config key 'inner.lrr'"),
    ({"bogus": 1}, "unknown config key 'bogus'"),
    ({"inner": {"lr": "fast"}}, "inner.lr: expected a number"),
    ({"inner": {"dims": [1, "a"]}}, "inner.dims[1]: expected an integer"),
    ({"flag": "yes"}, "flag: expected true or false"),
    ({"inner": 3}, "inner: expected a mapping"),
])
def test_errors_name_the_dotted_path(data, needle):
    with pytest.raises(ConfigError) as e:
        from_dict(Outer, data)
    assert needle in str(e.value)


def test_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("inner:\n  lr: 0.5\n")
    cfg = load_config(Outer, path, ["inner.dims=[8, 16]", "name=y", "maybe=null"])
    assert cfg.inner.lr == 0.5 and cfg.inner.dims == [8, 16] and cfg.name == "y"
    with pytest.raises(ConfigError, match="unknown config key 'inner.nope'"):
        load_config(Outer, path, ["inner.nope=1"])
    with pytest.raises(ConfigError, match="key.path=value"):
        apply_overrides({}, ["novalue"])
    with pytest.raises(ConfigError, match="is a value, not a section"):
        apply_overrides({"a": 1}, ["a.b=2"])


def test_saved_config_reloads_identically(tmp_path):
    cfg = load_config(Outer, None, ["inner.lr=0.25"])
    save_config(cfg, tmp_path / "saved.yaml")
    assert load_config(Outer, tmp_path / "saved.yaml") == cfg
    assert dump_yaml(cfg).startswith("name: x\ninner:\n")


def test_bad_yaml_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("a: [1, 2\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(Outer, path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(Outer, tmp_path / "missing.yaml")


@dataclass
class Spec:
    name: str = ""
    conf: dict = field(default_factory=dict)


@dataclass
class WithDefaults:
    model: Spec = field(default_factory=lambda: Spec("a", {"depth": 2, "width": 8}))


def test_partial_sections_keep_their_defaults():
    cfg = from_dict(WithDefaults, {"model": {"conf": {"width": 16}}})
    assert cfg.model == Spec("a", {"depth": 2, "width": 16})
    other = from_dict(WithDefaults, {"model": {"name": "b", "conf": {"k": 1}}})
    assert other.model == Spec("b", {"k": 1})  # another model: not a's defaults


@pytest.mark.parametrize("text, needle", [
    ("inner:\n  lr: 0.1\ninner:\n  lr: 0.2\n", "key 'inner' is given twice (lines 1 and 3)"),
    ("inner:\n  lr: 0.1\n  lr: 0.2\n", "key 'lr' is given twice (lines 2 and 3)"),
    ("", "is empty"),
    ("# only a comment\n", "is empty"),
    ("inner: [1\n", "line 2: not valid YAML"),
    ("name: caf\xe9\n", "line 1: byte 0xe9"),
])
def test_bad_config_files_are_one_line_errors(tmp_path, text, needle):
    path = tmp_path / "c.yaml"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ConfigError) as e:
        load_config(Outer, path)
    assert needle in str(e.value) and str(path) in str(e.value) and "\n" not in str(e.value)


def test_bom_in_a_config_is_ignored(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes(b"\xef\xbb\xbfname: y\n")
    assert load_config(Outer, path).name == "y"


@dataclass
class Features:
    n_mels: int = 40
    hop_length: int = 160
    fmin: float = 0.0
    lr: float = 1e-3


@pytest.mark.parametrize("data, needle", [
    ({"n_mels": -40}, "features.n_mels: must be greater than 0, got -40"),
    ({"hop_length": 0}, "features.hop_length: must be greater than 0, got 0"),
    ({"fmin": -1.0}, "features.fmin: must be 0 or more"),
    ({"lr": float("nan")}, "features.lr: expected a finite number"),
    ({"lr": float("inf")}, "features.lr: expected a finite number"),
])
def test_common_numeric_fields_are_range_checked(data, needle):
    with pytest.raises(ConfigError) as e:
        from_dict(Features, data, "features")
    assert needle in str(e.value)
    assert from_dict(Features, {"n_mels": 64, "fmin": 0}, "features").n_mels == 64


def test_a_config_starts_from_its_base_and_replaces_key_by_key(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "base.yaml").write_text(
        "trainer: {epochs: 5, batch_size: 4}\noptim: {name: adam, lr: 0.01}\n")
    (tmp_path / "conf" / "mid.yaml").write_text("base: base.yaml\ntrainer: {epochs: 7}\n")
    (tmp_path / "row.yaml").write_text("base: conf/mid.yaml\noptim: {lr: 0.5}\n")
    cfg = load_config(TrainConfig, tmp_path / "row.yaml")
    assert (cfg.trainer.epochs, cfg.trainer.batch_size) == (7, 4)
    assert (cfg.optim.name, cfg.optim.lr) == ("adam", 0.5)
    assert "base" not in read_config(tmp_path / "row.yaml")
    # a section that names another model starts afresh, as it does over the defaults
    (tmp_path / "other.yaml").write_text("base: row.yaml\noptim: {name: sgd}\n")
    assert read_config(tmp_path / "other.yaml")["optim"] == {"name": "sgd"}


@pytest.mark.parametrize("text, match", [
    ("base: missing.yaml\n", "missing.yaml does not exist"),
    ("base: [a.yaml]\n", "base must be the path of another config file"),
    ("base: loop.yaml\n", "leads back to itself"),
])
def test_a_bad_base_is_a_one_line_error(tmp_path, text, match):
    (tmp_path / "loop.yaml").write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_config(TrainConfig, tmp_path / "loop.yaml")
