"""YAML text of configs: strict parsing, reading a file, ``--set`` overrides.

The text layer under :mod:`toolkit.config` (which turns the parsed mappings into
dataclasses and re-exports these names). Stricter than plain YAML: a key given
twice in one mapping is an error naming the key and both lines, and every error
is one line naming the file (:func:`yaml_error`).

Example:
    >>> apply_overrides({"trainer": {"lr": 0.1}}, ["trainer.lr=0.01", "model.dims=[8,8]"])
    {'trainer': {'lr': 0.01}, 'model': {'dims': [8, 8]}}
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

from toolkit.errors import ConfigError, UserError


def yaml_error(path: str | Path, error: Exception) -> str:
    """One line for a YAML parse error: file, line, and the parser's short reason."""
    mark = getattr(error, "problem_mark", None)
    where = f" line {mark.line + 1}" if mark else ""
    reason = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"{path}{where}: not valid YAML ({reason})"


def _strict_loader() -> type:
    """A SafeLoader that refuses a key given twice in one mapping."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                if isinstance(key, typing.Hashable) and key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key '{key}' is given twice (lines {seen[key]} and {line}); "
                        "keep one", key_node.start_mark)
                if isinstance(key, typing.Hashable):
                    seen[key] = line
            return super().construct_mapping(node, deep)

    return StrictLoader


def load_yaml_text(text: str, where: str | Path) -> Any:
    """Parse YAML text strictly (duplicate keys refused); errors are one line naming ``where``.

    Raises:
        ConfigError: not valid YAML, or a key given twice.
    """
    import yaml

    try:
        return yaml.load(text, Loader=_strict_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        raise ConfigError(yaml_error(where, e)) from None


def read_yaml(path: str | Path, allow_empty: bool = False) -> dict[str, Any]:
    """Read a YAML mapping, with one-line errors for missing, malformed or empty files.

    Args:
        path: the file.
        allow_empty: return ``{}`` for an empty file instead of refusing it.

    Raises:
        ConfigError: missing, unreadable, not UTF-8, not valid YAML, a key given
            twice, empty, or not a mapping.
    """
    from toolkit.data.text import decode_text

    path = Path(path)
    if not path.is_file():
        what = "does not exist" if not path.exists() else "is not a regular file"
        raise ConfigError(f"config file {path} {what}")
    try:
        text = decode_text(path.read_bytes(), path)
    except UserError as e:
        raise ConfigError(str(e)) from None
    data = load_yaml_text(text, path)
    if data is None:
        if allow_empty:
            return {}
        raise ConfigError(f"config file {path} is empty; give at least one setting, or leave "
                          "the option out to use the defaults")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values at the top level")
    return data


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``a.b=value`` into (["a", "b"], parsed value)."""
    import yaml

    key, sep, value = text.partition("=")
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"override {text!r} is not of the form key.path=value")
    try:
        parsed = yaml.load(value, Loader=_strict_loader()) if value != "" else ""  # noqa: S506
    except yaml.YAMLError:
        parsed = value
    return key.split("."), parsed


def apply_overrides(data: dict[str, Any], overrides: list[str] | None) -> dict[str, Any]:
    """Return a copy of ``data`` with ``--set`` overrides applied (nested dicts created)."""
    import copy

    data = copy.deepcopy(data)
    for text in overrides or []:
        keys, value = parse_override(text)
        node = data
        for i, k in enumerate(keys[:-1]):
            child = node.get(k)
            if child is None:
                child = node[k] = {}
            if not isinstance(child, dict):
                where = ".".join(keys[: i + 1])
                raise ConfigError(f"override {text!r}: {where} is a value, not a section")
            node = child
        node[keys[-1]] = value
    return data
