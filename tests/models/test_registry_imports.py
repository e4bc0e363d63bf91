"""The model registry imports every module under toolkit.models on first lookup; none of
them may pull in the ONNX packages at import time (1-1.5 s of start-up for every command,
a third of separate's 3-s budget for a 3-minute song)."""

from __future__ import annotations

import subprocess
import sys


def test_listing_the_models_does_not_import_onnx():
    code = ("import sys; from toolkit.registry import list_models; "
            "names = list_models(); "
            "heavy = sorted(m for m in ('onnx', 'onnxruntime', 'ml_dtypes') if m in sys.modules); "
            "print(len(names), heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split(maxsplit=1)
    assert int(out[0]) >= 10  # every task's models were registered
    assert out[1].strip() == "[]", f"imported at start-up: {out[1]}"
