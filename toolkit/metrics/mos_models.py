"""Where the ONNX models of DNSMOS and AECMOS come from: the ``speechmos`` wheel.

Microsoft's ``speechmos`` package (MIT; a dependency of sptk-cli) bundles the
DNSMOS P.835 / P.808 models (``speechmos/dnsmos_models/``) and the AECMOS
version-4 models (``speechmos/aecmos_models/``), the same files as the AEC and
DNS Challenge repositories. The metrics use these copies unless a path is given
(``--dnsmos-model`` / ``--aecmos-model``, or ``$SPTK_DNSMOS_MODEL``). Only the
ONNX files are used; the scoring code is ours (:mod:`toolkit.metrics.dnsmos`,
:mod:`toolkit.metrics.aecmos`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from toolkit.errors import UserError


def speechmos_models(folder: str) -> Path:
    """``speechmos/<folder>`` of the installed wheel (``dnsmos_models``, ``aecmos_models``).

    Raises:
        UserError: speechmos is not installed (or lacks the folder).
    """
    spec = importlib.util.find_spec("speechmos")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("the MOS models come with the 'speechmos' package, which is not "
                        "installed: pip install speechmos (or pass the model path)")
    path = Path(next(iter(spec.submodule_search_locations))) / folder
    if not path.is_dir():
        raise UserError(f"{path} is missing from the installed speechmos; reinstall it "
                        "(pip install --force-reinstall speechmos) or pass the model path")
    return path
