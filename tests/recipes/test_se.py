"""recipes/se end to end on its tiny config, then enhance and adapt with the packed model."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED, assert_one_line_error, cli_env, run_cli, write_wav
from tests.recipes.test_template import copy_recipe

ASTERISK = "/usr/share/asterisk/sounds/en"


def run_recipe(recipe: Path, *args: str):
    """run.sh with a longer limit than the template's: eight trainings, 9 decode/score passes."""
    return subprocess.run(["./run.sh", *args], cwd=recipe, env=cli_env(), capture_output=True,
                          text=True, timeout=3000, stdin=subprocess.DEVNULL)


@pytest.mark.timeout(3600)  # about 4 min on an idle 2-core machine; far more when shared
@pytest.mark.skipif(not Path(ASTERISK).is_dir(),
                    reason="needs the Debian speech packages (tools/install.sh)")
def test_se_recipe_end_to_end(tmp_path):
    recipe = copy_recipe("se", tmp_path)
    dnsmos = SHARED / "models" / "dnsmos"
    extra = ["--dnsmos-model", str(dnsmos)] if (dnsmos / "sig_bak_ovr.onnx").is_file() else []
    proc = run_recipe(recipe, "--config", "conf/tiny.yaml", "--nj", "1", *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]
    exp = recipe / "exp" / "tiny"
    table = (exp / "table.md").read_text()
    for row in ("Noisy", "Source model", "RemixIT", "DANN", "DANN+RemixIT",
                "SRST (random source)", "SRST (similar source)", "Target model"):
        assert f"| {row} |" in table
    assert "not yet measured" not in table and "gap closed" in table
    scores = json.loads((exp / "srst" / "scores" / "target_test.json").read_text())
    assert scores["n"] == 6 and {"snr-5/pesq", "snr0/stoi", "snr5/si_sdr"} <= set(scores)
    noisy = json.loads((exp / "noisy" / "scores" / "target_test.json").read_text())
    assert (exp / "srst" / "decode" / "target_test" / "hyp" / "wav.scp").is_file()
    assert noisy["snr-5/si_sdr"] < noisy["snr0/si_sdr"] < noisy["snr5/si_sdr"]
    rank = (exp / "ranks" / "srst").read_text().split("\n")
    assert len([r for r in rank if r]) == 16  # every source training item scored
    pack = exp / "pack"
    assert (pack / "model.pt").is_file() and (pack / "model_card.md").is_file()

    # the packed model on a single file, then as the start of an adaptation
    out = tmp_path / "enh.wav"
    noisy_file = next((recipe / "corpus/tiny/mix/audio/target_test").glob("*.noisy.wav"))
    proc = run_cli("enhance", noisy_file, "-o", out, "--model", pack)
    assert proc.returncode == 0 and out.is_file(), proc.stderr
    target = tmp_path / "target"
    target.mkdir()
    for f in sorted((recipe / "corpus/tiny/mix/audio/target_train").glob("*.noisy.wav"))[:6]:
        shutil.copy(f, target / f.name)
    (target / "broken.wav").write_text("not audio")
    write_wav(target / "short.wav", 0.3)
    write_wav(target / "at8k.wav", 2.0, sr=8000)
    proc = run_cli("adapt", "--model", pack, "--target", target, "-o", tmp_path / "adapted",
                   "--source", recipe / "corpus/tiny/mix/source_train",
                   "--set", "steps.classifier.trainer.epochs=1",
                   "--set", "steps.dann.trainer.epochs=1", "--set", "steps.srst.trainer.epochs=1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = (tmp_path / "adapted.work" / "data" / "target_report.txt").read_text()
    skipped = [ln for ln in report.splitlines() if ln.startswith("skipped ")]
    assert any("broken.wav" in ln for ln in skipped) and any("short.wav" in ln for ln in skipped)
    # corpus clips shorter than 1 s are skipped too, and the count says so
    assert f"{len(skipped)} skipped" in report and "1 resampled" in report
    assert "broken.wav" in report and "short.wav" in report
    assert (tmp_path / "adapted" / "model.pt").is_file()

    again = run_recipe(recipe, "--config", "conf/tiny.yaml", "--nj", "1", "--stage", "3",
                       "--stop-stage", "3")
    assert again.returncode == 0 and again.stderr.count("skipping") >= 8

    # issue 14: one DANN setting probed after every epoch, and its alignment table
    proc = subprocess.run(["local/gap/dann_align.sh", "conf/tiny.yaml", "exp/tiny", "exp/align",
                           "--set", "steps.dann.trainer.epochs=2",
                           "--set", "steps.dann.optim.lr_scale.classifier=10"],
                          cwd=recipe, env=cli_env(), capture_output=True, text=True,
                          timeout=1200, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    probes = json.loads((recipe / "exp/align/probe.json").read_text())
    assert [p["weights"] for p in probes] == [None, "exp/align/dann/ckpt/epoch-1.pt",
                                              "exp/align/dann/ckpt/epoch-2.pt"]
    assert all(0.0 <= p["accuracy"] <= 1.0 and p["n_dev"] > 0 for p in probes)
    proc = subprocess.run([sys.executable, "local/gap/align_table.py", "exp/align"], cwd=recipe,
                          env=cli_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.count("| align |") == 3, proc.stderr
    assert "| align | 0.0001 | 0.001 |" in proc.stdout  # the classifier's own learning rate


def _fake_scores(step_dir: Path, si_sdr: dict[str, float]) -> None:
    parts = step_dir / "scores" / "target_test.parts"
    parts.mkdir(parents=True)
    per_key = {k: {"si_sdr": v, "pesq": 1.0, "stoi": 0.5} for k, v in si_sdr.items()}
    (parts / "1.json").write_text(json.dumps({"task": "se", "per_key": per_key}))


def test_paired_rows_average_an_utterance_over_its_snrs_then_pair_it(tmp_path):
    script = Path(__file__).parents[2] / "recipes" / "se" / "local" / "gap" / "paired_rows.py"
    exps = [tmp_path / "exp", tmp_path / "exp_s1"]
    for seed, exp in enumerate(exps):
        # 4 utterances at two SNRs; srst beats source by 1 dB on utterance u0 only (seed 0),
        # by 2 dB on every utterance (seed 1)
        src = {f"u{i}-snr{s}": float(i + s) for i in range(4) for s in (-5, 5)}
        _fake_scores(exp / "source", src)
        # remixit of seed 0 lacks utterance u3 (a partly scored step)
        _fake_scores(exp / "remixit", {k: v + 0.5 for k, v in src.items()
                                       if seed or not k.startswith("u3")})
        gain = {k: (1.0 if k.startswith("u0") else 0.0) if seed == 0 else 2.0 for k in src}
        _fake_scores(exp / "srst", {k: v + gain[k] for k, v in src.items()})
    proc = subprocess.run([sys.executable, script, *map(str, exps), "--ref", "source"],
                          env=cli_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    rows = {ln.split(" | ")[0].strip("| "): ln.split(" | ")[1:]
            for ln in proc.stdout.splitlines()[2:]}
    assert list(rows) == ["source", "remixit", "srst"]  # steps without scores are left out
    assert rows["srst"][0] == "2.62"  # mean of 1.5 + (0.25 | 2)
    assert rows["srst"][1] == "+0.25 / +2.00"  # per seed
    # per utterance, seeds averaged: u0 1.5, others 1.0 -> mean 1.125, sd 0.25, n 4
    assert rows["srst"][2].startswith("+1.12 ± 0.40 (n=4)")
    # against the partly scored remixit, only the utterances it has are paired
    proc = subprocess.run([sys.executable, script, *map(str, exps), "--ref", "remixit"],
                          env=cli_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    # u0..u2: source 1.00, srst (1.33 | 3.00); minus remixit per utterance (1.0, 0.5, 0.5)
    assert "| srst | 2.17 | -0.17 / +1.50 | +0.67 ± 0.72 (n=3) |" in proc.stdout
    bad = subprocess.run([sys.executable, script, str(exps[0]), "--ref", "dann"],
                         env=cli_env(), capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("error: --ref dann: not scored")


def test_enhance_and_adapt_bad_input(tmp_path):
    write_wav(tmp_path / "x.wav")
    assert_one_line_error(run_cli("enhance", tmp_path / "nope.wav", "-o", tmp_path / "o.wav",
                                  "--model", tmp_path), "nope.wav")
    assert_one_line_error(run_cli("enhance", tmp_path / "x.wav", "-o", tmp_path / "o.wav",
                                  "--model", tmp_path), "not a model directory")
    (tmp_path / "empty").mkdir()
    proc = run_cli("adapt", "--model", tmp_path, "--target", tmp_path / "empty", "-o",
                   tmp_path / "new")
    assert_one_line_error(proc, "model directory")
    assert_one_line_error(run_cli("se", "step", "nosuch", "-c", tmp_path / "c.yaml", "-d",
                                  tmp_path, "-e", tmp_path / "e"), "c.yaml")


def test_adapt_target_folder_problems(tmp_path):
    from toolkit.errors import UserError
    from toolkit.se.adapt import prepare_target

    (tmp_path / "t").mkdir()
    with pytest.raises(UserError, match="no audio files"):
        prepare_target(tmp_path / "t", tmp_path / "d")
    (tmp_path / "t" / "bad.wav").write_text("x")
    write_wav(tmp_path / "t" / "ok.wav", 1.5)
    with pytest.raises(UserError, match="only 1 usable file"):
        prepare_target(tmp_path / "t", tmp_path / "d")
    write_wav(tmp_path / "t" / "long.wav", 14.0, sr=22050, seed=3)
    import numpy as np
    import soundfile as sf

    sf.write(tmp_path / "t" / "zero.wav", np.zeros(32000, np.float32), 16000)
    report = prepare_target(tmp_path / "t", tmp_path / "d")
    assert report["used"] == 2 and report["resampled"] == 1
    assert {n for n, _ in report["skipped"]} == {"bad.wav", "zero.wav"}
    assert report["chunks"] == 1 + 3  # 14 s cut into 6-s chunks: 6 + 6 + 2
