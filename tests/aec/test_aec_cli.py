"""cancel-echo, export-onnx and sptk-cli aec commands: results and one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import assert_one_line_error, run_cli, write_wav


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """An (untrained) Align-CRUSE experiment directory with a small d_max."""
    import torch

    from toolkit.aec.config import AecConfig
    from toolkit.config import dump_yaml, from_dict
    from toolkit.registry import build_model
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
        run_cli("cancel-echo", mic, "--ref", far, "-o", out, "--model", model_dir,
                "--device", "cpu", *extra, check=True)
        outs[name], sr = sf.read(out)
        assert sr == 16000 and len(outs[name]) == 48000
    # one 20-s chunk: offline = the ONNX streamer (16-bit files)
    assert np.abs(outs["off"] - outs["stream"]).max() < 1e-3
    m = sf.read(mic)[0]
    assert np.mean(outs["nlms"][32000:] ** 2) < 0.1 * np.mean(m[32000:] ** 2)


def test_cancel_echo_any_rate_folders_and_silent_far_end(tmp_path, pair, model_dir):
    mic, far = pair
    x, f = sf.read(mic)[0], sf.read(far)[0]
    src = tmp_path / "calls"
    src.mkdir()
    import soxr

    for rate in (8000, 44100):  # AEC Challenge names: the far end found beside the mic
        sf.write(src / f"c{rate}_mic.wav", soxr.resample(x, 16000, rate), rate)
        sf.write(src / f"c{rate}_lpb.wav", soxr.resample(f, 16000, rate), rate)
    sf.write(src / "quiet_mic.wav", x, 16000)
    sf.write(src / "quiet_lpb.wav", np.zeros(len(f)), 16000)
    for extra in ([], ["--stream"]):
        out = tmp_path / f"out{len(extra)}"
        proc = run_cli("cancel-echo", src, "-o", out, "-m", model_dir, *extra, check=True)
        assert "silent" in proc.stderr and "passed through" in proc.stdout
        for rate in (8000, 44100):
            y, sr = sf.read(out / f"c{rate}_mic_aec.wav")
            assert sr == rate and len(y) == len(soxr.resample(x, 16000, rate))
        q, _ = sf.read(out / "quiet_mic_aec.wav")
        assert np.abs(q - x).max() < 1e-4  # passed through (16-bit file)
        assert not (out / "c8000_lpb_aec.wav").exists()  # far ends are not inputs


def test_cancel_echo_bad_inputs(tmp_path, pair, model_dir):
    mic, far = pair
    base = ["cancel-echo", "--model", model_dir, "-o", tmp_path / "o.wav"]
    stereo = write_wav(tmp_path / "st.wav", 1.0, channels=2)
    assert_one_line_error(run_cli(*base, stereo, "--ref", far), "2 channels", "mono")
    r8k = write_wav(tmp_path / "r8k.wav", 1.0, sr=8000)
    assert_one_line_error(run_cli(*base, mic, "--ref", r8k), "8000 Hz", "one rate")
    assert_one_line_error(run_cli(*base, mic, "--ref", tmp_path / "none.wav"), "--ref")
    assert_one_line_error(run_cli(*base, mic), "which file is its far end", "*_mic*", "--ref")
    call_mic = write_wav(tmp_path / "call_mic.wav", 1.0)
    assert_one_line_error(run_cli(*base, call_mic), "no far-end file beside",
                          "call_lpb.wav, call_ref.wav, call_far.wav", "--ref")
    assert_one_line_error(run_cli(*base, mic, "--ref", far, "--method", "x"), "--method")
    assert_one_line_error(run_cli(*base, mic, "--ref", far, "--device", "tpu"), "--device")
    se_model = Path(__file__).parents[2] / "toolkit" / "assets" / "se"
    assert_one_line_error(run_cli("cancel-echo", mic, "--ref", far, "-o", tmp_path / "o.wav",
                                  "-m", se_model), "'se' model", "aec")
    assert not (tmp_path / "o.wav").exists()
    short = write_wav(tmp_path / "short.wav", 0.5)
    ok = run_cli(*base, mic, "--ref", short)
    assert ok.returncode == 0 and "zero-padded" in ok.stderr
    assert len(sf.read(tmp_path / "o.wav")[0]) == 48000
    assert_one_line_error(run_cli(*base, mic, "--ref", far), "exists", "--overwrite")


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
    assert_one_line_error(run_cli("corpus", "prepare", "aec_challenge", "--path",
                                  tmp_path / "no", "--dst", tmp_path / "o"), "no")


def test_aec_align_writes_a_track_and_takes_a_history(tmp_path, pair):
    from toolkit.aec.delay_track import decode
    from toolkit.data.datadir import DataDir, write_datadir

    mic, far = pair  # the echo is 0.1 s late
    write_datadir(tmp_path / "d", {"wav.scp": {"u": str(mic)}, "ref.scp": {"u": str(far)}},
                  {"sample_rate": 16000})
    out = tmp_path / "short"
    r = run_cli("aec", "align", "--data", tmp_path / "d", "--method", "gcc_online",
                "--max-delay", "0.5", "--history", "0.8", "--out", out)
    assert r.returncode == 0, r.stderr
    track = decode(DataDir(out).read("utt2delay_track")["u"], 300)
    assert np.mean(np.abs(track[50:] - 0.1) < 0.002) > 0.9
    assert DataDir(out).meta["history_s"] == 0.8
    assert_one_line_error(run_cli("aec", "align", "--data", tmp_path / "d", "--method",
                                  "gcc_online", "--max-delay", "0.5", "--history", "0.4",
                                  "--out", tmp_path / "o"), "--history 0.4")
