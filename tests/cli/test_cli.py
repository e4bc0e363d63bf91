"""The command line: fast start-up, log header, one-line errors for bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT, assert_one_line_error, cli_env
from toolkit.train.packing import read_front_matter


def test_help_imports_no_heavy_module():
    code = ("import sys, toolkit.cli.main; heavy = {'torch', 'numpy', 'librosa', 'soundfile'}; "
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], env=cli_env(), cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", f"imported at start-up: {out}"


def test_every_command_logs_its_header(cli, tiny_datadir):
    proc = cli("data", "validate", tiny_datadir(2), check=True)
    head = proc.stderr.splitlines()[:2]
    assert "data validate" in head[0]
    assert "sptk-cli 0.1.0, commit" in head[1] and "host" in head[1]


def test_version(cli):
    assert cli("--version", check=True).stdout.strip().startswith("sptk-cli ")


@pytest.fixture
def tone_data(tmp_path, cli):
    cli("corpus", "tones", "--out", tmp_path / "c", "--n", "9", "--duration", "0.3", check=True)
    cli("data", "split", tmp_path / "c", "-o", tmp_path / "d", "--parts", "train:0.67,dev:0.33",
        check=True)
    return tmp_path / "d"


def test_train_bad_inputs(cli, tone_data, tmp_path):
    base = ["train", "--task", "tone", "--train", tone_data / "train", "--valid",
            tone_data / "dev", "--exp", tmp_path / "exp"]
    bad_conf = tmp_path / "bad.yaml"
    bad_conf.write_text("trainer: {epoks: 3}\n")
    assert_one_line_error(cli(*base, "--config", bad_conf), "trainer.epoks")
    assert_one_line_error(cli(*base, "--set", "optim.lr=fast"), "optim.lr")
    assert_one_line_error(cli(*base, "--set", "model.conf.chanels=3"), "model.conf.chanels")
    assert_one_line_error(cli(*base, "--set", "model.name=nosuch"), "unknown model 'nosuch'")
    assert_one_line_error(cli(*base, "--set", "data.classes=[a,b,c]"), "unknown class")
    assert_one_line_error(cli(*base, "--set", "trainer.metric=valid/bleu",
                              "--set", "trainer.epochs=1"), "valid/bleu")
    assert_one_line_error(cli(*base, "--device", "tpu"), "--device")
    assert_one_line_error(cli("train", "--task", "nosuch", "--train", tone_data / "train",
                              "--exp", tmp_path / "x"), "nosuch")
    missing = ["train", "--task", "tone", "--train", tmp_path / "nodata", "--exp", tmp_path / "y"]
    assert_one_line_error(cli(*missing), "does not exist")
    assert not (tmp_path / "y" / ".done").exists()


def test_decode_score_pack_bad_inputs(cli, tone_data, tmp_path):
    assert_one_line_error(cli("decode", "--model", tmp_path, "--data", tone_data / "dev",
                              "--out", tmp_path / "o"), "not a model directory")
    assert_one_line_error(cli("decode", "--data", tone_data / "dev", "--out", tmp_path / "o"),
                          "--model")
    assert_one_line_error(cli("decode", "--task", "tone", "--data", tone_data / "dev",
                              "--out", tmp_path / "o", "--shard", "3/2"), "--shard")
    assert_one_line_error(cli("pack", "--exp", tmp_path / "none", "--out", tmp_path / "p"),
                          "not a model directory")
    assert_one_line_error(cli("score", "--ref", tone_data / "dev", "--hyp", tmp_path / "none"),
                          "does not exist")
    assert_one_line_error(cli("summarize", tmp_path / "none.json"), "does not exist")
    assert_one_line_error(cli("config", "show", "tone", "nosuch"), "unknown model")
    assert_one_line_error(cli("corpus", "tones", "--out", tmp_path / "t", "--n", "0"), "n must")
    assert not (tmp_path / "o").exists() and not (tmp_path / "p").exists()


def test_decode_and_pack_refuse_an_unfinished_experiment(cli, tiny_datadir, tmp_path):
    import torch
    import yaml

    from toolkit.config import dump_yaml
    from toolkit.registry import build_model, get_task

    cfg = get_task("tone").config_class()
    exp = tmp_path / "exp"  # as after a stage 3 killed mid-training: last.pt, no .done
    exp.mkdir()
    (exp / "config.yaml").write_text(dump_yaml(cfg))
    (exp / "meta.yaml").write_text(yaml.safe_dump({"task": "tone", "model": cfg.model.name}))
    torch.save({"model": build_model("tone", cfg.model).state_dict()}, exp / "last.pt")
    data = tiny_datadir(2)
    decode = ["decode", "--model", exp, "--data", data, "--out", tmp_path / "h"]
    assert_one_line_error(cli(*decode), f"{exp}: training has not finished (no .done",
                          "--allow-unfinished")
    assert_one_line_error(cli("pack", "--exp", exp, "--out", tmp_path / "p"),
                          "training has not finished")
    assert not (tmp_path / "h").exists() and not (tmp_path / "p").exists()
    proc = cli(*decode, "--allow-unfinished", check=True)
    assert "training has not finished" in proc.stderr and (tmp_path / "h" / ".done").is_file()


def test_debug_shows_the_traceback(cli, tmp_path):
    proc = cli("--debug", "data", "validate", "--task", "nosuch", tmp_path)
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_full_path_through_the_commands(cli, tone_data, tmp_path):
    """train -> decode (2 shards) -> merge -> score -> pack -> decode with the bundle."""
    exp = tmp_path / "exp"
    cli("train", "--task", "tone", "--train", tone_data / "train", "--valid", tone_data / "dev",
        "--exp", exp, "--set", "trainer.epochs=2", "--set", "trainer.batch_size=2", check=True)
    for j in (1, 2):
        cli("decode", "--model", exp, "--data", tone_data / "dev", "--out", tmp_path / f"h{j}",
            "--shard", f"{j}/2", check=True)
    cli("data", "merge", tmp_path / "h1", tmp_path / "h2", "-o", tmp_path / "h", check=True)
    out = cli("score", "--ref", tone_data / "dev", "--hyp", tmp_path / "h", "-o",
              tmp_path / "s.json", check=True).stdout
    assert out.startswith("acc=") and "n=3" in out
    card_yaml = tmp_path / "card.yaml"
    card_yaml.write_text("license: CC0-1.0\nlicense_note: synthetic tones\ntraining_data:\n"
                         "  - {name: tones, license: CC0-1.0}\nintended_use: tests\n"
                         "limitations: tones only\n")
    cli("pack", "--exp", exp, "--out", tmp_path / "pack", "--scores", tmp_path / "s.json",
        "--card", card_yaml, check=True)
    card = (tmp_path / "pack" / "model_card.md").read_text()
    assert "fp16" in card and "acc =" in card
    head = read_front_matter(tmp_path / "pack" / "model_card.md")
    assert head["license"] == "CC0-1.0" and head["training_data"][0]["name"] == "tones"
    cli("decode", "--model", tmp_path / "pack", "--data", tone_data / "dev", "--out",
        tmp_path / "h3", check=True)
    assert (tmp_path / "h3" / "label").read_text() == (tmp_path / "h" / "label").read_text()


@pytest.mark.parametrize("args, needle", [
    (["corpus", "tones"], "Missing option '--out'"),
    (["corpus", "tones", "--out", "x", "--n", "many"], "--n"),
    (["nosuchcommand"], "No such command"),
    (["data", "validate"], "Missing argument"),
])
def test_usage_errors_are_one_line(cli, args, needle):
    line = assert_one_line_error(cli(*args), needle)
    assert "--help" in line and cli(*args).returncode == 2


def test_summarize_groups_files_by_folder(cli, tmp_path):
    import json

    wide = {f"m{i}": float(i) for i in range(12)}
    for name, scores in {"a/scores_sep1.json": wide, "a/scores_sep2.json": {"m0": 7.5, "m1": 1},
                         "b/cls.json": {"acc": 0.25, "top5": 0.5, "per_class": {"x": 1}}}.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(json.dumps(scores))
    out = cli("-q", "summarize", tmp_path / "a/scores_sep1.json", tmp_path / "a/scores_sep2.json",
              tmp_path / "b/cls.json", check=True).stdout
    assert out.count("scores: ") == 2                  # one table per experiment folder
    lines = out.splitlines()
    m0 = next(line for line in lines if line.strip("│ ").startswith("m0 "))
    assert "0" in m0 and "7.5" in m0                  # wide table: metrics are rows
    m11 = next(line for line in lines if line.strip("│ ").startswith("m11 "))
    assert "-" in m11                                  # sep2 has no m11
    assert "sep1" in out and "scores_sep1" not in out and "per_class" not in out
    assert "0.25" in out
    (tmp_path / "list.json").write_text("[1, 2]")
    assert_one_line_error(cli("summarize", tmp_path / "list.json"), "not a JSON scores file")
