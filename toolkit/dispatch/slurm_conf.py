"""The Slurm backend's site file: generic options (gpu, mem, time, ...) to sbatch flags.

The file is ``tools/backends/slurm.yaml`` in the source tree, or the one named
by the environment variable ``SPTK_SLURM_CONF``. Its keys:

- ``options``: generic option name -> one flag or a list of flags; ``{}`` in a
  flag is replaced by the value. A value of 0 adds no flag (``--gpu 0``).
- ``default_flags``: flags added to every ``sbatch`` call.
- ``poll_interval``: seconds between ``squeue`` calls while waiting.

Example:
    >>> conf = SlurmConf(options={"gpu": "--gres=gpu:{}"})
    >>> conf.flags({"gpu": "2"}), conf.flags({"gpu": "0"})
    (['--gres=gpu:2'], [])
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from toolkit.errors import ConfigError

ENV_VAR = "SPTK_SLURM_CONF"
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "tools" / "backends" / "slurm.yaml"


@dataclasses.dataclass
class SlurmConf:
    """Mapping from generic options to sbatch flags (see module doc).

    Attributes:
        options: option name -> flag template or list of flag templates.
        default_flags: flags added to every sbatch call.
        poll_interval: seconds between squeue polls.
        path: the file it was read from (for error messages).
    """

    options: dict[str, str | list[str]] = dataclasses.field(default_factory=dict)
    default_flags: list[str] = dataclasses.field(default_factory=list)
    poll_interval: float = 10.0
    path: str = dataclasses.field(default="<built-in>", init=False)

    def __post_init__(self) -> None:
        if self.poll_interval <= 0:
            raise ConfigError(f"poll_interval must be positive, got {self.poll_interval}")

    def flags(self, values: dict[str, str | int | None]) -> list[str]:
        """sbatch flags for generic option ``values`` (``None``, ``0`` and ``""`` add none).

        Raises:
            ConfigError: an option has no entry under ``options`` in the file.
        """
        out: list[str] = []
        for name, value in values.items():
            if value is None or str(value).strip() in ("", "0"):
                continue
            if name not in self.options:
                known = ", ".join(sorted(self.options)) or "none"
                raise ConfigError(
                    f"option {name!r} has no sbatch flag in {self.path} (known options: {known}); "
                    f'add e.g. `{name}: "--{name}={{}}"` under options'
                )
            templates = self.options[name]
            for template in [templates] if isinstance(templates, str) else templates:
                out.append(template.replace("{}", str(value)))
        return out


def conf_path() -> Path:
    """The site file in use: ``$SPTK_SLURM_CONF`` or the one in the source tree."""
    return Path(os.environ[ENV_VAR]) if os.environ.get(ENV_VAR) else DEFAULT_PATH


def load_slurm_conf(path: str | Path | None = None) -> SlurmConf:
    """Read the site file (default: :func:`conf_path`).

    Raises:
        ConfigError: missing file, bad YAML, unknown key or wrong type, with the file named.
    """
    from toolkit.config import from_dict, read_yaml

    path = Path(path) if path else conf_path()
    if not path.is_file():
        hint = f" (set {ENV_VAR} to your site's copy of tools/backends/slurm.yaml)"
        raise ConfigError(f"slurm backend config {path} does not exist{hint}")
    try:
        conf = from_dict(SlurmConf, read_yaml(path, allow_empty=True))
    except ConfigError as e:
        message = str(e)
        raise ConfigError(message if str(path) in message else f"{path}: {message}") from None
    conf.path = str(path)
    return conf
