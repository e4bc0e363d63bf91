"""Config loading: dataclasses, unknown keys with dotted paths, --set overrides."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from toolkit.config import apply_overrides, dump_yaml, from_dict, load_config, save_config
from toolkit.errors import ConfigError


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
