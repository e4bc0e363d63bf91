"""sptk-cli classify: inputs, TSV / JSON rows, windows, one model load, bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import ROOT, assert_one_line_error, cli_env, run_cli, write_wav
from toolkit.aed.infer import Classifier, classify_array, classify_file, window_posteriors
from toolkit.aed.windows import prefetch
from toolkit.data.audio import load_mono
from toolkit.dsp.features import extract


def _tsv(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines()]


def test_classify_json_top_and_notes(tmp_path, bundle):
    clip = write_wav(tmp_path / "clip.wav", 1.5)
    short = tmp_path / "short.wav"
    sf.write(short, np.full(800, 0.1, np.float32), 16000)  # 50 ms: shorter than one patch
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(16000, np.float32), 16000)
    proc = run_cli("classify", clip, short, silent, "--model", bundle, "--json", "--top-k", "2",
                   check=True)
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["file"] for r in rows] == [str(clip), str(short), str(silent)]
    assert [len(r["top"]) for r in rows] == [2, 2, 2]
    assert all(r["top"][0]["prob"] >= r["top"][1]["prob"] for r in rows)
    assert {t["label"] for r in rows for t in r["top"]} <= {"dog", "rain", "siren"}
    assert rows[0]["notes"] == [] and "shorter than one patch" in rows[1]["notes"][0]
    assert "silent" in rows[2]["notes"][0]
    table = _tsv(run_cli("classify", clip, "--model", bundle, check=True).stdout)
    assert table[0] == ["file", "scope", "start", "end", "label_1", "prob_1", "label_2",
                        "prob_2", "label_3", "prob_3"]  # --top-k 5 of 3 classes: 3
    assert table[1][:4] == [str(clip), "file", "0.000", "1.500"] and len(table) == 2


def test_folders_globs_windows_last_partial_window_and_out_file(tmp_path, bundle):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    a = write_wav(tmp_path / "in" / "a.wav", 1.5)
    b = write_wav(tmp_path / "in" / "sub" / "b.wav", 0.5, seed=1)
    out = tmp_path / "rows.tsv"
    run_cli("classify", tmp_path / "in", "--model", bundle, "--windows", "-o", out, check=True)
    rows = _tsv(out.read_text())[1:]
    # windows of 64 frames (0.655 s) every 0.64 s; the last one, 1.28-1.5 s, is kept
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (str(a), "window", "0.000", "0.655"), (str(a), "window", "0.640", "1.295"),
        (str(a), "window", "1.280", "1.500"), (str(a), "file", "0.000", "1.500"),
        (str(b), "window", "0.000", "0.500"), (str(b), "file", "0.000", "0.500")]
    glob = run_cli("classify", str(tmp_path / "in" / "**" / "*.wav"), "--model", bundle,
                   "--hop", "0.32", "--windows", check=True).stdout
    starts = [r[2] for r in _tsv(glob)[1:] if r[0] == str(a) and r[1] == "window"]
    assert starts == ["0.000", "0.320", "0.640", "0.960"]
    assert_one_line_error(run_cli("classify", a, "--model", bundle, "-o", out), "exists")
    run_cli("classify", a, "--model", bundle, "-o", out, "--overwrite", check=True)
    assert len(out.read_text().splitlines()) == 2


def test_windows_equal_the_decode_path_and_the_array_path(tmp_path, bundle):
    clf = Classifier.load(bundle)
    path = write_wav(tmp_path / "c.wav", 3.1, seed=3)
    result, windows = classify_file(path, clf, batch_size=3)
    wave, _ = load_mono(path, 16000)
    whole = window_posteriors(clf, extract(wave, clf.cfg.features))
    np.testing.assert_allclose(result.probs, whole, atol=1e-5)
    assert len(windows) == result.windows == 5 and windows[-1].end == pytest.approx(3.1)
    probs, wins = classify_array(wave, 16000, clf)
    np.testing.assert_allclose(probs, whole, atol=1e-5)
    assert [w.start for w in wins] == [w.start for w in windows]
    hi = tmp_path / "c44.wav"  # read and resampled window by window
    sf.write(hi, load_mono(path, 44100)[0], 44100)
    np.testing.assert_allclose(classify_file(hi, clf)[0].probs, whole, atol=5e-3)


def test_the_model_is_loaded_once_per_call(tmp_path, bundle, monkeypatch):
    from typer.testing import CliRunner

    import toolkit.aed.infer as infer
    from toolkit.cli.main import app

    calls = []
    real = infer.load_model_dir
    monkeypatch.setattr(infer, "load_model_dir", lambda *a: calls.append(a) or real(*a))
    clips = [str(write_wav(tmp_path / f"c{i}.wav", 0.7, seed=i)) for i in range(4)]
    res = CliRunner().invoke(app, ["classify", *clips, "--model", str(bundle)])
    assert res.exit_code == 0, res.output
    assert len(calls) == 1 and res.output.count("\tfile\t") == 4


def test_classify_bad_input(tmp_path, bundle):
    assert_one_line_error(run_cli("classify", tmp_path / "none.wav", "--model", bundle),
                          "no such file")
    clip = write_wav(tmp_path / "c.wav", 0.5)
    (tmp_path / "junk.wav").write_bytes(b"not audio")
    out = tmp_path / "o.tsv"
    proc = run_cli("classify", clip, tmp_path / "junk.wav", "--model", bundle, "-o", out)
    assert_one_line_error(proc, "junk.wav")
    assert not out.exists()  # checked before anything is written
    sf.write(tmp_path / "empty.wav", np.zeros(0, np.float32), 16000)
    proc = run_cli("classify", clip, tmp_path / "empty.wav", "--model", bundle)
    assert_one_line_error(proc, "empty.wav", "empty audio")
    assert proc.stdout == ""  # no row of the good clip before the error
    assert_one_line_error(run_cli("classify", clip, "--model", bundle, "--top-k", "0"),
                          "--top-k")
    assert_one_line_error(run_cli("classify", clip, "--model", tmp_path), "model directory")
    assert_one_line_error(run_cli("classify", tmp_path / "empty_dir_missing"), "no such")


def test_classify_with_the_shipped_default_model(tmp_path):
    assets = ROOT / "toolkit/assets/aed"
    weights = sorted(assets.glob("**/model.pt"))  # one, or one per member of an ensemble
    if not weights:
        pytest.skip("no default aed model packed yet (recipes/aed/local/default_model.sh)")
    assert "folds 1-3" in (assets / "model_card.md").read_text()
    assert all(w.stat().st_size < 15e6 for w in weights)
    clip = write_wav(tmp_path / "c.wav", 5.0)
    row = json.loads(run_cli("classify", clip, "--json", check=True).stdout)
    assert len(row["top"]) == 5 and "dog_bark" in (assets / "config.yaml").read_text()
    assert 0.5 <= sum(t["prob"] for t in row["top"]) <= 1.0 + 1e-4  # top 5 of 10 classes


def _peak_rss_kb(args: list[str]) -> int:
    """Peak resident memory of ``sptk-cli ARGS`` run in a fresh process."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
            "stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    proc = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "toolkit", "-q",
                           *args], env=cli_env(OMP_NUM_THREADS="1"), capture_output=True,
                          text=True, timeout=600, check=True)
    return int(proc.stdout.split()[-1])


def test_memory_does_not_grow_with_the_length_of_a_file(tmp_path, bundle):
    rng = np.random.default_rng(0)
    paths = {}
    for minutes in (2, 20):
        paths[minutes] = tmp_path / f"long{minutes}.wav"
        with sf.SoundFile(paths[minutes], "w", 16000, 1, "PCM_16") as f:
            for _ in range(minutes * 6):
                f.write((0.1 * rng.standard_normal(160000)).astype(np.float32))
    short, long = (_peak_rss_kb(["classify", str(paths[m]), "--model", str(bundle)])
                   for m in (2, 20))
    # reading the whole 20 minutes would cost 77 MB of samples alone, its fbank frames 190 MB
    assert long - short < 40_000, (short, long)


def test_prefetch_passes_items_and_errors_and_stops_with_its_consumer():
    assert list(prefetch(iter(range(50)), 3)) == list(range(50))

    def failing():
        yield 1
        raise ValueError("bad window")

    with pytest.raises(ValueError, match="bad window"):
        list(prefetch(failing(), 2))
    produced = []

    def endless():
        for i in range(10_000):
            produced.append(i)
            yield i

    gen = prefetch(endless(), 2)
    assert next(gen) == 0
    gen.close()  # the consumer stops: the reader stops too, a few items ahead at most
    time.sleep(0.5)
    assert len(produced) < 10
