"""``sptk-cli average``: the mean of several trainings' weights as a finished experiment."""

from __future__ import annotations

import pytest
import torch
import yaml

from tests.conftest import assert_one_line_error
from toolkit.config import dump_yaml
from toolkit.errors import UserError
from toolkit.registry import build_model, get_task
from toolkit.train.average import mean_state
from toolkit.train.packing import load_model_dir


def _exp(path, seed, conf=None, task="tone", done=True):
    """An experiment directory of ``task`` with weights from ``seed`` (as train writes it)."""
    cfg = get_task(task).config_class()
    if conf:
        cfg.model.conf.update(conf)
    path.mkdir(parents=True)
    (path / "config.yaml").write_text(dump_yaml(cfg))
    (path / "meta.yaml").write_text(yaml.safe_dump({"task": task, "model": cfg.model.name}))
    torch.manual_seed(seed)
    torch.save({"model": build_model(task, cfg.model).state_dict()}, path / "best.pt")
    if done:
        (path / ".done").write_text("")
    return path


def test_mean_state_averages_floats_and_keeps_integers():
    a = {"w": torch.tensor([1.0, 2.0]), "n": torch.tensor(3)}
    b = {"w": torch.tensor([3.0, 6.0]), "n": torch.tensor(7)}
    out = mean_state([a, b])
    assert torch.equal(out["w"], torch.tensor([2.0, 4.0])) and int(out["n"]) == 3
    with pytest.raises(UserError, match="shape"):
        mean_state([a, {"w": torch.zeros(3), "n": torch.tensor(1)}])
    with pytest.raises(UserError, match="other weights"):
        mean_state([a, {"w": torch.zeros(2)}])
    with pytest.raises(UserError, match="at least two"):
        mean_state([a])


def test_average_writes_an_experiment_that_loads_and_packs(cli, tmp_path):
    a, b = _exp(tmp_path / "a", 0), _exp(tmp_path / "b", 1)
    out = tmp_path / "avg"
    cli("average", "--model", a, "--model", b, "--out", out, check=True)
    assert (out / ".done").is_file() and (out / "averaged_from.txt").read_text().count("\n") == 2
    _, _, ma = load_model_dir(a)
    _, _, mb = load_model_dir(b)
    _, _, mo = load_model_dir(out)
    for k, v in mo.state_dict().items():
        if v.is_floating_point():
            assert torch.allclose(v, (ma.state_dict()[k] + mb.state_dict()[k]) / 2, atol=1e-6)
    assert not torch.equal(ma.state_dict()["body.0.weight"], mo.state_dict()["body.0.weight"])
    cli("pack", "--exp", out, "--out", tmp_path / "pack", check=True)
    assert (tmp_path / "pack" / "model.pt").is_file()


def test_average_bad_inputs(cli, tmp_path):
    a = _exp(tmp_path / "a", 0)
    out = tmp_path / "avg"
    assert_one_line_error(cli("average", "--model", a, "--out", out), "at least two")
    assert_one_line_error(cli("average", "--model", a, "--model", a, "--out", out), "twice")
    unfinished = _exp(tmp_path / "u", 1, done=False)
    assert_one_line_error(cli("average", "--model", a, "--model", unfinished, "--out", out),
                          "training has not finished")
    wider = _exp(tmp_path / "w", 2, {"channels": 24})
    assert_one_line_error(cli("average", "--model", a, "--model", wider, "--out", out),
                          "model section differs")
    assert_one_line_error(cli("average", "--model", a, "--model", tmp_path / "none", "--out",
                              out), "does not exist")
    (tmp_path / "empty").mkdir()
    assert_one_line_error(cli("average", "--model", a, "--model", tmp_path / "empty", "--out",
                              out), "not a model directory")
    assert not out.exists()


def test_average_takes_the_epoch_checkpoints_of_one_run(cli, tmp_path):
    run = _exp(tmp_path / "run", 0)
    (run / "ckpt").mkdir()
    for epoch, seed in ((3, 3), (4, 4)):
        torch.manual_seed(seed)
        state = build_model("tone", get_task("tone").config_class().model).state_dict()
        torch.save({"model": state, "optim": {}}, run / "ckpt" / f"epoch-{epoch}.pt")
    out = tmp_path / "avg"
    cli("average", "--model", run / "ckpt" / "epoch-3.pt", "--model", run / "ckpt" /
        "epoch-4.pt", "--model", run, "--out", out, check=True)
    states = [torch.load(f, weights_only=True)["model"] for f in
              (run / "ckpt" / "epoch-3.pt", run / "ckpt" / "epoch-4.pt", run / "best.pt")]
    _, _, mo = load_model_dir(out)
    w = "body.0.weight"
    assert torch.allclose(mo.state_dict()[w], sum(s[w] for s in states) / 3, atol=1e-6)
    assert (out / "config.yaml").read_text() == (run / "config.yaml").read_text()


def test_average_checkpoint_file_errors(cli, tmp_path):
    run = _exp(tmp_path / "run", 0)
    stray = tmp_path / "stray.pt"
    torch.save({"model": {}}, stray)
    out = tmp_path / "avg"
    assert_one_line_error(cli("average", "--model", run, "--model", stray, "--out", out),
                          "outside an experiment directory")
    torch.save({"optim": {}}, run / "opt.pt")
    assert_one_line_error(cli("average", "--model", run, "--model", run / "opt.pt", "--out",
                              out), "holds no model weights")
    torch.save({"model": {"x": torch.zeros(1)}}, run / "other.pt")
    assert_one_line_error(cli("average", "--model", run, "--model", run / "other.pt", "--out",
                              out), "do not fit")
    assert_one_line_error(cli("average", "--model", run, "--model", run / "gone.pt", "--out",
                              out), "does not exist")
    assert not out.exists()
