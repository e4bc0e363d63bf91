"""Debian packages that hold corpora: versions for provenance, install hints.

The speech pools read files that Debian packages install under ``/usr/share``.
A builder checks its folders first and, when they are missing, stops with one
line naming the ``apt-get install`` to run (``tools/install.sh`` installs them
all). Versions come from ``dpkg-query`` and go into ``meta.yaml``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable

from toolkit.errors import UserError


def package_version(name: str) -> str | None:
    """Installed version of a Debian package, or None (not installed, no dpkg)."""
    if shutil.which("dpkg-query") is None:
        return None
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}\t${Version}", name],
                          capture_output=True, text=True)
    if proc.returncode != 0 or "\t" not in proc.stdout:
        return None
    status, version = proc.stdout.split("\t", 1)
    installed = status.endswith(" installed")
    return version.strip() if installed else None


def package_versions(names: Iterable[str]) -> dict[str, str]:
    """{package: version} for provenance ('not installed' when absent)."""
    return {n: package_version(n) or "not installed" for n in sorted(set(names))}


def apt_line(packages: Iterable[str]) -> str:
    """The command that installs ``packages``."""
    return "apt-get install -y --no-install-recommends " + " ".join(sorted(set(packages)))


def missing_packages_error(what: str, packages: Iterable[str]) -> UserError:
    """One-line error: ``what`` needs Debian packages; the line that installs them."""
    return UserError(f"{what} needs Debian packages that are not installed; as root run: "
                     f"{apt_line(packages)} (tools/install.sh installs them all)")
