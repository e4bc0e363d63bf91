"""Registries of models and tasks, built from ``{name: ..., conf: {...}}``.

Models register themselves with ``@register_model(task, name)``; the class
declares its hyperparameters as a dataclass ``Conf`` and takes an instance of
it in ``__init__``. ``build_model(task, {"name": n, "conf": {...}})`` checks
the conf against ``Conf`` (unknown keys are errors naming ``model.conf.key``).
Model modules under :mod:`toolkit.models` are imported on first lookup, so
registering a new model means adding a file there.

Tasks are modules ``toolkit.<name>.task`` exposing ``TASK``.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from toolkit.errors import UserError

_MODELS: dict[tuple[str, str], type] = {}
_LOADED = {"models": False}


def register_model(task: str, name: str):
    """Class decorator registering a model under (task, name)."""

    def wrap(cls: type) -> type:
        if not hasattr(cls, "Conf"):
            raise TypeError(f"model {cls.__name__} needs a dataclass attribute Conf")
        key = (task, name)
        if key in _MODELS and _MODELS[key] is not cls:
            raise TypeError(f"model {task}/{name} registered twice")
        _MODELS[key] = cls
        cls.registry_name = name
        cls.registry_task = task
        return cls

    return wrap


def _import_models() -> None:
    if _LOADED["models"]:
        return
    import toolkit.models as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"toolkit.models.{info.name}")
    _LOADED["models"] = True


def list_models(task: str | None = None) -> list[tuple[str, str]]:
    """Registered (task, name) pairs, optionally for one task."""
    _import_models()
    return sorted(k for k in _MODELS if task is None or k[0] == task)


def model_class(task: str, name: str) -> type:
    """The class registered as (task, name); one-line error listing the known ones."""
    _import_models()
    try:
        return _MODELS[(task, name)]
    except KeyError:
        known = ", ".join(n for t, n in list_models(task)) or "none"
        raise UserError(f"unknown model '{name}' for task '{task}' (known: {known})") from None


def build_model(task: str, spec: Any):
    """Instantiate a model from ``{name, conf}`` (a dict or a ModelSpec dataclass)."""
    from toolkit.config import from_dict

    name = spec["name"] if isinstance(spec, dict) else spec.name
    conf = spec.get("conf", {}) if isinstance(spec, dict) else spec.conf
    cls = model_class(task, name)
    return cls(from_dict(cls.Conf, conf or {}, "model.conf"))


def get_task(name: str):
    """The task object ``TASK`` of module ``toolkit.<name>.task`` (the task's package)."""
    from toolkit.data.roles import ROLES

    module_name = f"toolkit.{name}.task"
    try:
        return importlib.import_module(module_name).TASK
    except ModuleNotFoundError as e:
        if e.name not in (module_name, f"toolkit.{name}"):
            raise
        known = ", ".join(sorted(ROLES))
        raise UserError(f"task '{name}' has no training/decoding support yet "
                        f"(tasks: {known})") from None
