"""sptk-cli aed export-onnx: the graph matches PyTorch at any batch size."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort

from tests.conftest import assert_one_line_error, run_cli
from toolkit.aed.infer import Classifier


def test_onnx_matches_pytorch_at_several_batch_sizes(tmp_path, bundle):
    out = tmp_path / "aed.onnx"
    report = json.loads(run_cli("aed", "export-onnx", "-o", out, "--model", bundle,
                                check=True).stdout)
    assert report["max_abs_diff_probs"] < 1e-4 and report["input"] == ["batch", 64, 32]
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert json.loads(meta["classes"]) == ["dog", "rain", "siren"]
    assert json.loads(meta["features"])["kind"] == "kaldi_fbank"
    clf = Classifier.load(bundle)
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for batch in (1, 5):
        x = (rng.standard_normal((batch, 64, 32)) * 3 - 8).astype(np.float32)
        probs = sess.run(["probs"], {"fbank": x})[0]
        np.testing.assert_allclose(probs, clf.posteriors(x), atol=1e-4)
    assert_one_line_error(run_cli("aed", "export-onnx", "-o", out, "--model", bundle), "exists")
