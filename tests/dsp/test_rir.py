"""Room simulation and RT60: accuracy, determinism, measured RIR reading (folder, SOFA)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pyroomacoustics", reason="pyroomacoustics is not installed")

from toolkit.corpora.sounds.soundpool import item_rng  # noqa: E402
from toolkit.dsp import rir  # noqa: E402
from toolkit.errors import UserError  # noqa: E402

SR = 16000


def test_rt60_of_simulated_rooms_is_near_the_target():
    """Tolerance found on 60 random rooms: median 4 %, worst 12 % after correction."""
    errors = []
    for i in range(10):
        rng = item_rng(11, i)
        room = rir.random_room(rng, (0.2, 0.8))
        h, measured, used = rir.simulate_to_rt60(room, SR, int(rng.integers(2**31)))
        assert 0.2 <= room.rt60 <= 0.8 and h.ndim == 1 and np.isfinite(h).all()
        errors.append(abs(measured - room.rt60) / room.rt60)
    assert np.median(errors) < 0.10
    assert max(errors) < 0.20


def test_room_positions_are_inside_and_apart():
    for i in range(50):
        room = rir.random_room(item_rng(0, i))
        for p in (room.source, room.mic):
            assert all(rir.WALL_MARGIN <= c <= d - rir.WALL_MARGIN
                       for c, d in zip(p[:2], room.dims[:2], strict=True))
        assert np.linalg.norm(np.subtract(room.source, room.mic)) >= rir.MIN_DISTANCE


def test_simulation_is_deterministic_whatever_ran_before():
    room = rir.random_room(item_rng(1, 0))
    a = rir.simulate_rir(room, SR, seed=5)
    rir.simulate_rir(rir.random_room(item_rng(1, 1)), SR, seed=6)
    b = rir.simulate_rir(room, SR, seed=5)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("rt60", [0.3, 0.6, 1.0])
def test_schroeder_measure_on_a_known_decay(rt60):
    rng = np.random.default_rng(0)
    t = np.arange(int(1.5 * rt60 * SR)) / SR
    h = rng.standard_normal(len(t)) * 10 ** (-3 * t / rt60)  # 60 dB energy decay in rt60
    assert abs(rir.measure_rt60(h, SR) - rt60) / rt60 < 0.05


def test_measure_rt60_returns_nan_on_garbage():
    assert np.isnan(rir.measure_rt60(np.zeros(100), SR))


def test_read_rir_folder(tmp_path):
    import soundfile as sf

    (tmp_path / "sub").mkdir()
    sf.write(tmp_path / "a.wav", np.r_[1.0, np.zeros(99)] * 0.5, 48000)
    sf.write(tmp_path / "sub" / "b.flac", np.zeros((50, 2)) + 0.1, 8000)
    items = list(rir.read_rir_folder(tmp_path))
    assert [(k, x.shape, sr) for k, x, sr in items] == [("a.wav", (1, 100), 48000),
                                                        ("sub/b.flac", (2, 50), 8000)]
    with pytest.raises(UserError):
        list(rir.read_rir_folder(tmp_path / "none"))


def write_sofa(path, convention="SimpleFreeFieldHRIR", shape=(3, 2, 256), rate=48000.0,
               data_type="FIR"):
    """A minimal SOFA file (the attributes and variables readers rely on)."""
    h5py = pytest.importorskip("h5py", reason="h5py (optional, SOFA) is not installed")
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        f.attrs["Conventions"] = np.bytes_("SOFA")
        f.attrs["SOFAConventions"] = np.bytes_(convention)
        f.attrs["DataType"] = np.bytes_(data_type)
        f.create_dataset("Data.IR", data=rng.standard_normal(shape) * 0.1)
        f.create_dataset("Data.SamplingRate", data=np.array([rate]))
        f.create_dataset("Data.Delay", data=np.zeros((1, shape[1])))
        f.create_dataset("SourcePosition", data=np.zeros((shape[0], 3)))
    return path


@pytest.mark.parametrize("convention,shape", [("SimpleFreeFieldHRIR", (3, 2, 256)),
                                              ("SingleRoomDRIR", (2, 4, 4800))])
def test_read_sofa(tmp_path, convention, shape):
    path = write_sofa(tmp_path / "x.sofa", convention, shape)
    items = list(rir.read_sofa(path))
    assert len(items) == shape[0] * shape[1]
    assert [(m, r) for m, r, _, _ in items][:2] == [(0, 0), (0, 1)]
    assert all(h.shape == (shape[2],) and sr == 48000 for _, _, h, sr in items)
    assert rir.sofa_convention(path) == convention


def test_read_sofa_rejects_non_fir_and_non_sofa(tmp_path):
    h5py = pytest.importorskip("h5py", reason="h5py (optional, SOFA) is not installed")
    with pytest.raises(UserError, match="not FIR"):
        list(rir.read_sofa(write_sofa(tmp_path / "tf.sofa", data_type="TF")))
    with h5py.File(tmp_path / "plain.h5", "w") as f:
        f.create_dataset("x", data=np.zeros(3))
    with pytest.raises(UserError, match="SOFA"):
        list(rir.read_sofa(tmp_path / "plain.h5"))
    (tmp_path / "text.sofa").write_text("hello")
    with pytest.raises(UserError, match="HDF5"):
        list(rir.read_sofa(tmp_path / "text.sofa"))


def test_simulated_rirs_use_the_free_field_amplitude_and_fit_full_scale():
    import pyroomacoustics as pra

    room = rir.RoomSpec((10.0, 10.0, 10.0), (5.0, 5.0, 5.0), (6.0, 5.0, 5.0), 0.3, 0.99, 0)
    h = rir.simulate_rir(room, SR)  # order 0, almost no reflections: the direct path
    direct = pra.ShoeBox([10, 10, 10], fs=SR, max_order=0)
    direct.add_source([5, 5, 5])
    direct.add_microphone([6, 5, 5])
    direct.compute_rir()
    assert abs(h.max() - direct.rir[0][0].max() / (4 * np.pi)) < 1e-3  # 1 / (4 pi d), d = 1 m
    for i in range(20):
        close = rir.random_room(item_rng(2, i))
        assert np.abs(rir.simulate_rir(close, SR, seed=i)).max() < 1.0
