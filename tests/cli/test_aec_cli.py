"""cancel-echo, export-onnx and sptk-cli aec commands: results and one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import assert_one_line_error, run_cli, write_wav


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """An (untrained) Align-CRUSE experiment directory with a small d_max."""
    import torch

    from toolkit.config import dump_yaml, from_dict
    from toolkit.registry import build_model
    from toolkit.tasks.aec import AecConfig
    from toolkit.train.packing import write_exp_meta

    exp = tmp_path_factory.mktemp("exp")
    cfg = from_dict(AecConfig, {"model": {"name": "align_cruse", "conf": {"d_max": 30}}})
    (exp / "config.yaml").write_text(dump_yaml(cfg))
    write_exp_meta(exp, "aec", "align_cruse")
    torch.manual_seed(0)
    torch.save({"model": build_model("aec", cfg.model).state_dict()}, exp / "best.pt")
    return exp


@pytest.fixture
def pair(tmp_path):
    rng = np.random.default_rng(0)
    far = 0.1 * rng.standard_normal(48000)
    mic = 0.5 * np.roll(far, 1600) + 0.01 * rng.standard_normal(48000)
    sf.write(tmp_path / "far.wav", far, 16000)
    sf.write(tmp_path / "mic.wav", mic, 16000)
    return tmp_path / "mic.wav", tmp_path / "far.wav"


def test_cancel_echo_offline_stream_and_nlms(tmp_path, pair, model_dir):
    mic, far = pair
    outs = {}
    for name, extra in (("off", []), ("stream", ["--stream"]), ("nlms", ["--method", "nlms"])):
        out = tmp_path / f"{name}.wav"
        run_cli("cancel-echo", "--mic", mic, "--ref", far, "-o", out, "--model", model_dir,
                *extra, check=True)
        outs[name], sr = sf.read(out)
        assert sr == 16000 and len(outs[name]) == 48000
    assert np.abs(outs["off"] - outs["stream"]).max() < 1e-3  # 16-bit files
    m = sf.read(mic)[0]
    assert np.mean(outs["nlms"][32000:] ** 2) < 0.1 * np.mean(m[32000:] ** 2)


def test_cancel_echo_bad_inputs(tmp_path, pair, model_dir):
    mic, far = pair
    base = ["cancel-echo", "--model", model_dir, "-o", tmp_path / "o.wav"]
    stereo = write_wav(tmp_path / "st.wav", 1.0, channels=2)
    assert_one_line_error(run_cli(*base, "--mic", stereo, "--ref", far), "2 channels", "mono")
    r8k = write_wav(tmp_path / "r8k.wav", 1.0, sr=8000)
    assert_one_line_error(run_cli(*base, "--mic", mic, "--ref", r8k), "8000 Hz", "16000 Hz")
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(16000), 16000)
    assert_one_line_error(run_cli(*base, "--mic", mic, "--ref", silent), "silent")
    assert_one_line_error(run_cli(*base, "--mic", mic, "--ref", tmp_path / "none.wav"))
    assert_one_line_error(run_cli(*base, "--mic", mic, "--ref", far, "--method", "x"),
                          "--method")
    assert not (tmp_path / "o.wav").exists()
    short = write_wav(tmp_path / "short.wav", 0.5)
    ok = run_cli(*base, "--mic", mic, "--ref", short)
    assert ok.returncode == 0 and "zero-padded" in ok.stderr
    assert len(sf.read(tmp_path / "o.wav")[0]) == 48000


def test_export_onnx_and_plot(tmp_path, pair, model_dir):
    pytest.importorskip("onnx")
    pytest.importorskip("matplotlib")
    proc = run_cli("export-onnx", "--model", model_dir, "-o", tmp_path / "m.onnx", check=True)
    assert "onnxruntime matches PyTorch" in proc.stdout
    mic, far = pair
    run_cli("aec", "plot-alignment", "--mic", mic, "--ref", far, "--model", model_dir,
            "-o", tmp_path / "map.png", "--true-delay", "0.1", check=True)
    assert (tmp_path / "map.png").read_bytes()[:4] == b"\x89PNG"


def test_aec_group_bad_inputs(tmp_path):
    assert_one_line_error(run_cli("aec", "align", "--data", tmp_path, "--method", "magic",
                                  "--out", tmp_path / "o"), "--method", "gcc_online")
    assert_one_line_error(run_cli("aec", "score", "--ref", tmp_path / "no", "--hyp",
                                  tmp_path), "does not exist")
    assert_one_line_error(run_cli("aec", "prepare-challenge", "--src", tmp_path / "no",
                                  "--out", tmp_path / "o"), "not a folder")
