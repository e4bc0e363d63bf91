"""sptk-cli separate on files (rates, channels, formats) and its one-line answers to bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from tests.conftest import assert_one_line_error, run_cli


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    """A packed-bundle layout holding an untrained small U-Net (64-frame patches)."""
    from toolkit.config import dump_yaml, from_dict
    from toolkit.registry import build_model
    from toolkit.svs.config import SVSConfig
    from toolkit.train.packing import write_exp_meta

    d = tmp_path_factory.mktemp("model")
    cfg = from_dict(SVSConfig, {"model": {"name": "unet_svs",
                                          "conf": {"channels": [4, 4, 8, 8, 8, 8]}},
                                "features": {"patch_frames": 64},
                                "decode": {"chunk_seconds": 16.0, "overlap_seconds": 4.0}})
    torch.manual_seed(0)
    model = build_model("svs", cfg.model)
    torch.save({k: v.half() if v.is_floating_point() else v
                for k, v in model.state_dict().items()}, d / "model.pt")
    (d / "config.yaml").write_text(dump_yaml(cfg))
    write_exp_meta(d, "svs", "unet_svs")
    return d


def _song(path: Path, seconds: float, sr: int, channels: int, fmt: str | None = None) -> Path:
    rng = np.random.default_rng(1)
    t = np.arange(int(seconds * sr)) / sr
    x = 0.2 * np.sin(2 * np.pi * 440 * t)[:, None] + 0.05 * rng.standard_normal((len(t),
                                                                                  channels))
    sf.write(path, x.astype(np.float32), sr, format=fmt)
    return path


def test_separate_keeps_rate_and_channels(tmp_path, tiny_model):
    song = _song(tmp_path / "my song.flac", 20.0, 22050, 2)
    proc = run_cli("separate", song, "-o", tmp_path / "out", "--model", tiny_model)
    assert proc.returncode == 0, proc.stderr
    for stem in ("vocals", "accompaniment"):  # one input: -o is the folder of its stems
        info = sf.info(str(tmp_path / "out" / f"{stem}.wav"))
        assert (info.samplerate, info.channels, info.frames) == (22050, 2, 20 * 22050)
    again = run_cli("separate", song, "-o", tmp_path / "out", "--model", tiny_model)
    assert_one_line_error(again, "exists", "--overwrite")
    skip = run_cli("separate", song, "-o", tmp_path / "out", "--model", tiny_model,
                   "--skip-existing")
    assert skip.returncode == 0 and "skipping 1 input" in skip.stderr
    low = run_cli("separate", song, "-o", tmp_path / "low", "--model", tiny_model,
                  "--stems", "vocals", "--reconstruction", "lowrate")
    assert low.returncode == 0, low.stderr
    assert [p.name for p in (tmp_path / "low").iterdir()] == ["vocals.wav"]
    assert sf.info(str(tmp_path / "low" / "vocals.wav")).channels == 1


def test_separate_many_inputs_never_collide(tmp_path, tiny_model):
    """Same names in two folders, a folder and a glob: one stem folder per input."""
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        _song(tmp_path / d / "song.wav", 4.0, 16000, 1)
    _song(tmp_path / "a" / "short.flac", 0.5, 8000, 2)  # far shorter than a patch
    proc = run_cli("separate", tmp_path / "a", str(tmp_path / "b" / "*.wav"), "-o",
                   tmp_path / "out", "--model", tiny_model, "--stems", "vocals")
    assert proc.returncode == 0, proc.stderr
    outs = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.wav"))
    assert outs == ["a/song/vocals.wav", "b/song/vocals.wav", "short/vocals.wav"], outs
    info = sf.info(str(tmp_path / "out" / "short" / "vocals.wav"))
    assert (info.samplerate, info.channels, info.frames) == (8000, 2, 4000)


def test_bad_inputs_give_one_line(tmp_path, tiny_model):
    m = ["--model", str(tiny_model), "-o", str(tmp_path / "o")]
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio\n" * 50)
    assert_one_line_error(run_cli("separate", text, *m), "notes.wav", "not a readable audio")
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros((20 * 8000, 1), np.float32), 8000)
    assert_one_line_error(run_cli("separate", silent, *m), "silent.wav", "silent")
    odd = tmp_path / "song.xyz"
    odd.write_bytes(bytes(range(256)) * 40)
    assert_one_line_error(run_cli("separate", odd, *m), "song.xyz")
    assert_one_line_error(run_cli("separate", tmp_path / "missing.wav", *m), "missing.wav")
    (tmp_path / "empty").mkdir()
    assert_one_line_error(run_cli("separate", tmp_path / "empty", *m), "empty", "no audio")
    good = _song(tmp_path / "good.wav", 13.0, 16000, 1)
    assert_one_line_error(run_cli("separate", good, *m, "--stems", "drums"), "--stems",
                          "vocals, accompaniment")
    assert_one_line_error(run_cli("separate", good, "--model", tmp_path, "-o", tmp_path / "o"),
                          "not a model directory")
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_export_onnx_matches_pytorch(tmp_path, tiny_model):
    out = tmp_path / "svs.onnx"
    proc = run_cli("svs", "export-onnx", "--model", tiny_model, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "matches PyTorch" in proc.stdout and out.stat().st_size > 0
    assert_one_line_error(run_cli("svs", "export-onnx", "--model", tiny_model, "-o", out),
                          "exists", "--overwrite")


def test_shipped_default_model_separates(tmp_path):
    """A fresh install separates without --model (toolkit/assets/svs, fp16, <= 15 MB)."""
    from toolkit.train.packing import ASSETS

    bundle = ASSETS / "svs"
    assert (bundle / "model.pt").stat().st_size <= 15e6
    import yaml

    card = yaml.safe_load((bundle / "model_card.md").read_text().split("---")[1])
    assert "research use only" in card["license_note"].lower()  # MIR-1K's terms, inherited
    assert any("MIR-1K" in d["name"] for d in card["training_data"])
    assert card["intended_use"] and card["limitations"]
    song = _song(tmp_path / "mono.wav", 3.0, 11025, 1)
    proc = run_cli("separate", song, "-o", tmp_path / "out")  # 3 s: shorter than a patch
    assert proc.returncode == 0, proc.stderr
    y, sr = sf.read(str(tmp_path / "out" / "vocals.wav"))
    assert sr == 11025 and y.shape == (3 * 11025,) and np.abs(y).max() > 0


def test_separate_on_cpu_runs_the_bundled_onnx_without_torch(tmp_path, tiny_model):
    """A bundle's separator.onnx gives PyTorch's stems, and `separate` then never imports
    torch (its import was 1.2 s of a 4-s separation); a stale file is refused by checksum."""
    import shutil
    import subprocess
    import sys

    from tests.conftest import cli_env

    bundle = tmp_path / "bundle"
    shutil.copytree(tiny_model, bundle)
    run_cli("svs", "export-onnx", "--model", bundle, "--bundle", check=True)
    song = _song(tmp_path / "s.wav", 20.0, 44100, 2)  # two chunks of 16 s
    run_cli("separate", song, "--model", bundle, "-o", tmp_path / "torch", "--engine", "torch",
            check=True)
    code = ("import sys\nfrom toolkit.cli.main import app\n"
            f"args = ['separate', {str(song)!r}, '--model', {str(bundle)!r}, '-o', "
            f"{str(tmp_path / 'onnx')!r}]\n"
            "try:\n    app(args, prog_name='sptk-cli')\nexcept SystemExit as e:\n"
            "    assert not e.code, e.code\n"
            "print('torch imported' if 'torch' in sys.modules else 'torch-free')\n")
    proc = subprocess.run([sys.executable, "-c", code], env=cli_env(), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "torch-free" in proc.stdout and "onnxruntime" in proc.stderr
    for stem in ("vocals", "accompaniment"):
        a = sf.read(str(tmp_path / "torch" / f"{stem}.wav"))[0]
        b = sf.read(str(tmp_path / "onnx" / f"{stem}.wav"))[0]
        assert a.shape == b.shape == (20 * 44100, 2)
        assert np.abs(a - b).max() < 1e-3 and np.abs(a).max() > 0.01

    (bundle / "model.pt").write_bytes((bundle / "model.pt").read_bytes() + b"\0")  # re-packed
    proc = run_cli("separate", song, "--model", bundle, "-o", tmp_path / "stale")
    assert "checksums differ" in proc.stderr and "device cpu (" in proc.stderr
    assert_one_line_error(run_cli("separate", song, "--model", bundle, "-o", tmp_path / "x",
                                  "--engine", "onnx"), "separator.onnx", "--bundle")
    assert_one_line_error(run_cli("separate", song, "--model", bundle, "--engine", "tf"),
                          "--engine")
