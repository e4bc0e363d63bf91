"""``sptk-cli enhance`` and the library behind it: many inputs, channels kept, bounded chunks."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import assert_one_line_error, run_cli, write_wav
from toolkit.cli.se import dnsmos_items
from toolkit.data.datadir import write_datadir
from toolkit.se.infer import enhance_array, enhance_file, load_enhancer


@pytest.fixture(scope="module")
def model():
    return load_enhancer(None)[1]


def test_stereo_is_kept_per_channel_at_the_input_rate(tmp_path, model):
    rng = np.random.default_rng(0)
    x = (0.1 * rng.standard_normal((2, 3 * 22050))).astype(np.float32)
    x[1] *= 0.1
    sf.write(tmp_path / "st.wav", x.T, 22050)
    r = enhance_file(model, tmp_path / "st.wav", tmp_path / "out.flac",
                     noise_dst=tmp_path / "noise.wav")
    y, sr = sf.read(tmp_path / "out.flac", always_2d=True)
    n, _ = sf.read(tmp_path / "noise.wav", always_2d=True)
    assert sr == 22050 and y.shape == n.shape == (3 * 22050, 2) and r["channels"] == 2
    level = np.sqrt(np.mean(y ** 2, axis=0))
    assert level[1] < level[0] / 3  # channels stay apart, not a downmix


def test_chunked_file_matches_the_array_path(tmp_path, model):
    x = np.asarray(sf.read(write_wav(tmp_path / "x.wav", 7.0, seed=4), dtype="float32")[0])
    enhance_file(model, tmp_path / "x.wav", tmp_path / "y.wav", chunk_s=2.0)
    y = sf.read(tmp_path / "y.wav", dtype="float32")[0]
    ref, _ = enhance_array(model, x, chunk_s=2.0)  # the same chunks, in memory
    # equal up to the file's 16-bit quantisation (a relative tolerance failed once the
    # model removed most of this noise input: 1 LSB was 1 % of its quiet output)
    assert y.shape == x.shape and np.abs(y - ref).max() <= 2 / 32768


def test_enhance_command_files_folders_globs_and_short_input(tmp_path):
    for name in ("a", "b"):
        write_wav(tmp_path / "in" / f"{name}.wav", 1.0, seed=ord(name))
    write_wav(tmp_path / "in" / "sub" / "a.wav", 1.0, seed=9)
    proc = run_cli("enhance", tmp_path / "in", "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.relative_to(tmp_path / "out").as_posix()
                  for p in (tmp_path / "out").rglob("*.wav")) == ["a.wav", "b.wav", "sub/a.wav"]
    proc = run_cli("enhance", str(tmp_path / "in" / "*.wav"), "-o", tmp_path / "g")
    assert proc.returncode == 0 and len(list((tmp_path / "g").glob("*.wav"))) == 2
    again = run_cli("enhance", tmp_path / "in" / "a.wav", "-o", tmp_path / "g" / "a.wav")
    assert_one_line_error(again, "exists")
    sf.write(tmp_path / "one.wav", np.zeros(1, np.float32), 16000)
    proc = run_cli("enhance", tmp_path / "one.wav", "-o", tmp_path / "one_out.wav")
    assert proc.returncode == 2
    assert_one_line_error(proc, "one.wav", "too short")
    assert not (tmp_path / "one_out.wav").exists()


def test_long_input_reports_progress(tmp_path):
    write_wav(tmp_path / "long.wav", 65.0, seed=1)
    proc = run_cli("enhance", tmp_path / "long.wav", "-o", tmp_path / "long_out.wav")
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if "enhancing long.wav" in ln]
    assert len(lines) >= 2 and all("%" in ln for ln in lines)  # logged as the chunks finish


def test_dnsmos_inputs_sharing_a_key_are_all_kept(tmp_path):
    dirs = []
    for name in ("sys1", "sys2"):
        wav = {"utt1": str(write_wav(tmp_path / "audio" / name / "utt1.wav", 0.5))}
        dirs.append(write_datadir(tmp_path / name, {"wav.scp": wav}, {"sample_rate": 16000}))
    items = dnsmos_items(dirs)
    assert len(items) == 2 and len(set(items.values())) == 2
    assert dnsmos_items(dirs[:1]) == {"utt1": str(tmp_path / "audio" / "sys1" / "utt1.wav")}


def test_adapt_checks_its_config_before_any_work(tmp_path):
    """A bad --set fails at once: no target data prepared, nothing left behind but the config."""
    target = tmp_path / "target"
    target.mkdir()
    sf.write(target / "a.wav", np.zeros(16000, dtype=np.float32), 16000)
    proc = run_cli("adapt", "--target", target, "-o", tmp_path / "adapted",
                   "--set", "trainer.no_such_key=1")
    assert_one_line_error(proc, "no_such_key")
    assert not (tmp_path / "adapted.work" / "data").exists()
    import yaml  # the default model was trained with a teacher; its adaptation is not

    written = yaml.safe_load((tmp_path / "adapted.work" / "adapt.yaml").read_text())
    assert written["loss"]["teacher"] == ""
