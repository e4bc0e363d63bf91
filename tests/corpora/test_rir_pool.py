"""RIR pools: simulated rooms (files, RT60, shards) and imported measurements (folder, SOFA)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from sound_helpers import read_scp, run_cli, same_audio_files

pytest.importorskip("pyroomacoustics", reason="pyroomacoustics is not installed")

from toolkit.corpora.sounds import rooms  # noqa: E402
from toolkit.errors import UserError  # noqa: E402


def test_simulated_pool_and_shards(tmp_path):
    whole = rooms.build_rir_pool(tmp_path / "w", 4, (0.3, 0.6), seed=3)
    wav = read_scp(whole / "wav.scp")
    assert list(wav) == [f"rir{i:06d}" for i in range(4)]
    target, measured = read_scp(whole / "utt2rt60"), read_scp(whole / "utt2rt60_measured")
    for key, path in wav.items():
        h, sr = sf.read(path)
        assert sr == 16000 and h.ndim == 1 and sf.info(path).subtype == "PCM_24"
        assert 0.3 <= float(target[key]) <= 0.6
        assert abs(float(measured[key]) - float(target[key])) / float(target[key]) < 0.2
    assert "dims=" in read_scp(whole / "utt2room")["rir000000"]
    parts = [rooms.build_rir_pool(tmp_path / f"s{j}", 4, (0.3, 0.6), shard=f"{j}/2", seed=3)
             for j in (1, 2)]
    assert sorted(k for p in parts for k in read_scp(p / "wav.scp")) == sorted(wav)
    assert all(same_audio_files(whole, p) == [] for p in parts)


def test_parse_range():
    assert rooms.parse_range("0.2:0.8") == (0.2, 0.8)
    assert rooms.parse_range("0.5") == (0.5, 0.5)
    for bad in ("x", "0.8:0.2", "0:1", "1:2:3"):
        with pytest.raises(UserError):
            rooms.parse_range(bad)


def decaying_rir(rt60: float, sr: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(1.2 * rt60 * sr)) / sr
    return (0.3 * rng.standard_normal(len(t)) * 10 ** (-3 * t / rt60)).astype(np.float32)


def test_import_folder_resamples_splits_channels_and_measures(tmp_path):
    src = tmp_path / "measured"
    (src / "hall").mkdir(parents=True)
    sf.write(src / "office.wav", 5 * decaying_rir(0.4, 48000), 48000, subtype="FLOAT")
    stereo = np.stack([decaying_rir(0.9, 44100, 1), decaying_rir(0.9, 44100, 2)], axis=1)
    sf.write(src / "hall" / "seat 3.wav", stereo, 44100, subtype="FLOAT")
    out = rooms.import_rirs(tmp_path / "pool", folder=src, licence="CC-BY-4.0")
    wav = read_scp(out / "wav.scp")
    assert sorted(wav) == ["hall.seat_3-c0", "hall.seat_3-c1", "office"]
    rt = read_scp(out / "utt2rt60_measured")
    assert abs(float(rt["office"]) - 0.4) < 0.05 and abs(float(rt["hall.seat_3-c1"]) - 0.9) < 0.1
    assert all(sf.info(p).samplerate == 16000 for p in wav.values())
    assert "CC-BY-4.0" in (out / "meta.yaml").read_text()
    assert " gain=" in read_scp(out / "utt2origin")["office"]  # peaked above 1: scaled
    assert np.abs(sf.read(wav["office"])[0]).max() < 1.0


def test_import_sofa_through_the_cli(tmp_path):
    h5py = pytest.importorskip("h5py", reason="h5py (optional, SOFA) is not installed")
    path = tmp_path / "room.sofa"
    with h5py.File(path, "w") as f:
        f.attrs["Conventions"] = np.bytes_("SOFA")
        f.attrs["SOFAConventions"] = np.bytes_("SingleRoomDRIR")
        f.attrs["DataType"] = np.bytes_("FIR")
        f.create_dataset("Data.IR", data=np.stack([np.stack([decaying_rir(0.5, 48000, m + r)
                                                             for r in range(2)])
                                                   for m in range(2)]))
        f.create_dataset("Data.SamplingRate", data=np.array([48000.0]))
    res = run_cli("corpus", "rir", "--out", tmp_path / "pool", "--sofa", path)
    assert res.returncode == 0, res.stderr
    wav = read_scp(tmp_path / "pool" / "wav.scp")
    assert sorted(wav) == ["room-m0000-r0", "room-m0000-r1", "room-m0001-r0", "room-m0001-r1"]
    origin = read_scp(tmp_path / "pool" / "utt2origin")["room-m0001-r0"]
    assert origin.endswith("room.sofa m=1 r=0")
    rt = float(read_scp(tmp_path / "pool" / "utt2rt60")["room-m0000-r0"])
    assert abs(rt - 0.5) < 0.06


def test_cli_simulates_and_reports_the_rt60_error(tmp_path):
    res = run_cli("corpus", "rir", "--out", tmp_path / "r", "--n", "2", "--rt60", "0.2:0.4",
                  "--seed", "1")
    assert res.returncode == 0, res.stderr
    assert "2 items" in res.stdout and "RT60 relative error" in res.stdout
    bad = run_cli("corpus", "rir", "--out", tmp_path / "r2", "--from-folder", tmp_path / "no")
    assert bad.returncode == 2 and "error:" in bad.stderr and "Traceback" not in bad.stderr
