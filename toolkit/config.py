"""Plain YAML configs loaded into dataclasses (DESIGN.md principle 5).

A config file is YAML whose structure mirrors a dataclass. Loading checks every
key: an unknown key or a value of the wrong type is an error naming its dotted
path (``trainer.lr``). Overrides come as ``--set a.b=value`` strings whose value
is parsed as YAML (``--set trainer.epochs=3 --set model.conf.dims=[64,64]``).
The resolved config is saved next to each output with :func:`save_config`.

Stricter than plain YAML (issue 18): a key given twice in one mapping (a
section pasted twice) is an error naming the key, the line and the file instead
of the second silently winning; an empty file (or one of comments only) is an
error, not "all defaults"; values of the common numeric fields are range
checked by name wherever they appear (:data:`POSITIVE`, :data:`NON_NEGATIVE`:
``n_mels: -40`` or ``hop_length: 0`` is a one-line error naming the key), and
``.nan`` / ``.inf`` are refused for every number.

A config may start from another: ``base: other.yaml`` (a path relative to the
file) takes every setting of that file, and the file's own settings replace
them key by key (sections merge recursively, as defaults do: a list replaces a
list, a section naming another ``name`` replaces the section). Chains are
allowed, cycles are an error. :func:`read_config` resolves it.

The YAML text layer (strict parsing, :func:`read_yaml`, ``--set`` overrides) lives in
:mod:`toolkit.config_yaml`; its names are re-exported here.

Example:
    >>> @dataclasses.dataclass
    ... class Optim:
    ...     lr: float = 1e-3
    >>> from_dict(Optim, {"lr": 0.01})
    Optim(lr=0.01)
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from toolkit.config_yaml import (  # noqa: F401 - re-exported: the config API in one place
    apply_overrides,
    load_yaml_text,
    parse_override,
    read_yaml,
    yaml_error,
)
from toolkit.errors import ConfigError

T = TypeVar("T")
# Fields that must be > 0 (or >= 0) wherever they appear, checked by name.
POSITIVE = frozenset({
    "sample_rate", "n_fft", "hop_length", "hop", "n_mels", "n_mfcc", "num_mel_bins",
    "freq_bins", "frame_period", "window_ms", "frame_shift_ms", "frame_length_ms",
    "patch_frames", "patch_hop", "target_frames", "crop_frames", "chunk_frames",
    "epochs", "batch_size", "accum_grad", "log_every_steps", "step_epochs", "chunk_seconds",
})
NON_NEGATIVE = frozenset({
    "win_length", "fmin", "fmax", "max_steps_per_epoch", "patience", "keep_last",
    "save_every_steps", "num_workers", "grad_clip", "weight_decay", "warmup_steps", "min_lr",
    "lr", "momentum", "overlap_seconds", "min_frames", "mixup", "mixup_alpha", "remix_prob",
    "spec_masks", "label_smoothing", "eq_db", "near_clean_weight", "dropout",
})


def read_config(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """:func:`read_yaml` of an experiment config, with its ``base:`` chain resolved.

    Raises:
        ConfigError: as :func:`read_yaml`, or a ``base`` that is not a string, is
            missing, or leads back to a file already in the chain.
    """
    path = Path(path)
    data = read_yaml(path)
    if "base" not in data:
        return data
    base = data.pop("base")
    if not isinstance(base, str) or not base:
        raise ConfigError(f"{path}: base must be the path of another config file, got {base!r}")
    base_path = (path.parent / base).resolve()
    if base_path in (*_seen, path.resolve()):
        raise ConfigError(f"{path}: base {base} leads back to itself (a cycle of base: files)")
    return _merge(read_config(base_path, (*_seen, path.resolve())), data)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp).replace("typing.", ""))


def _convert(tp: Any, value: Any, path: str) -> Any:
    """Check/convert ``value`` against the annotation ``tp``."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, path)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(errors[0] if len(errors) == 1 else f"{path}: {value!r} fits none of {tp}")
    if typing.get_origin(tp) is typing.Literal:
        if value not in typing.get_args(tp):
            choices = ", ".join(repr(a) for a in typing.get_args(tp))
            raise ConfigError(f"{path}: {value!r} is not one of {choices}")
        return value
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, path)
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{path}: expected a list, got {value!r}")
        args = typing.get_args(tp)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise ConfigError(f"{path}: expected {len(args)} values, got {len(value)}")
            pairs = enumerate(zip(args, value, strict=True))
            return tuple(_convert(a, v, f"{path}[{i}]") for i, (a, v) in pairs)
        item = args[0] if args else Any
        out = [_convert(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
        return tuple(out) if origin is tuple else out
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a mapping, got {value!r}")
        _, vt = typing.get_args(tp) or (str, Any)
        return {k: _convert(vt, v, f"{path}.{k}") for k, v in value.items()}
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            if isinstance(value, str):  # YAML reads 1e-3 as a string
                try:
                    value = float(value)
                except ValueError:
                    raise ConfigError(f"{path}: expected a number, got {value!r}") from None
            else:
                raise ConfigError(f"{path}: expected a number, got {value!r}")
        if not math.isfinite(value):
            raise ConfigError(f"{path}: expected a finite number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: expected an integer, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: expected true or false, got {value!r}")
        return value
    if tp is str:
        if isinstance(value, dict | list) or value is None:
            raise ConfigError(f"{path}: expected a string, got {value!r}")
        return str(value)
    if isinstance(tp, type) and not isinstance(value, tp):
        raise ConfigError(f"{path}: expected {_type_name(tp)}, got {value!r}")
    return value


def from_dict(cls: type[T], data: Any, path: str = "") -> T:
    """Build dataclass ``cls`` from a mapping, rejecting unknown keys.

    Args:
        cls: a dataclass type; nested dataclass fields are built recursively.
        data: the mapping (``None`` means all defaults).
        path: dotted prefix used in error messages.

    Raises:
        ConfigError: unknown key, missing required key, or wrong value type.
    """
    data = {} if data is None else data
    if dataclasses.is_dataclass(data) and isinstance(data, cls):
        return data
    where = path or "config"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of keys to values, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = [k for k in data if k not in fields]
    if unknown:
        key = f"{path}.{unknown[0]}" if path else str(unknown[0])
        known = ", ".join(fields) or "none"
        raise ConfigError(f"unknown config key '{key}' (known keys here: {known})")
    kwargs = {}
    for name, field in fields.items():
        sub = f"{path}.{name}" if path else name
        if name in data:
            value = data[name]
            if field.default_factory is not dataclasses.MISSING and isinstance(value, dict):
                default = field.default_factory()
                if dataclasses.is_dataclass(default):
                    value = _merge(to_dict(default), value)
            kwargs[name] = _convert(hints[name], value, sub)
            check_range(name, kwargs[name], sub)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"config key '{sub}' is required")
    try:
        obj = cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where}: {e}") from None
    return obj


def check_range(name: str, value: Any, path: str) -> None:
    """The generic validation hook: range checks of the common numeric fields by name.

    Raises:
        ConfigError: ``value`` of a :data:`POSITIVE` field is <= 0, of a
            :data:`NON_NEGATIVE` field is < 0, or of a probability (a field named
            ``p_*`` or ``*_prob``) outside [0, 1] (naming the dotted key).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    if name in POSITIVE and not value > 0:
        raise ConfigError(f"{path}: must be greater than 0, got {value!r}")
    if name in NON_NEGATIVE and not value >= 0:
        raise ConfigError(f"{path}: must be 0 or more, got {value!r}")
    if (name.startswith("p_") or name.endswith("_prob")) and not 0 <= value <= 1:
        raise ConfigError(f"{path}: must be a probability from 0 to 1, got {value!r}")


def _merge(base: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Given values over the defaults of a section, recursively.

    A section whose ``name`` changes (another model) starts from the given
    values alone: the defaults of one model are no defaults for another.
    """
    if "name" in given and given["name"] != base.get("name"):
        return given
    out = dict(base)
    for k, v in given.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def to_dict(obj: Any) -> Any:
    """Dataclass (nested) to plain dicts/lists, ready for YAML."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, Path):
        return str(obj)
    return obj


def dump_yaml(data: Any) -> str:
    """YAML text of a dataclass or mapping, keys in declaration order."""
    import yaml

    return yaml.safe_dump(to_dict(data), sort_keys=False, allow_unicode=True)


def load_config(
    cls: type[T], path: str | Path | None = None, overrides: list[str] | None = None
) -> T:
    """Load ``cls`` from a YAML file (optional, ``base:`` resolved) plus ``--set`` overrides."""
    data = read_config(path) if path else {}
    data = apply_overrides(data, overrides)
    return from_dict(cls, data)


def save_config(obj: Any, path: str | Path) -> None:
    """Save the resolved config as YAML (atomically)."""
    from toolkit.fsutil import atomic_write_text

    atomic_write_text(path, dump_yaml(obj))
