"""The se task: SI-SDR loss, SRST schedule and sampling, aggregation, chunked inference,
the target's labels never read by the classifier / DANN, DANN's checkpoint metric."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.conftest import write_wav
from toolkit.config import load_config
from toolkit.data.datadir import write_datadir, write_kv
from toolkit.metrics.signal import si_sdr
from toolkit.se.config import SEConfig
from toolkit.se.data import SEDataset
from toolkit.se.infer import enhance_array
from toolkit.se.loss import si_sdr_torch
from toolkit.se.score import aggregate_by_snr
from toolkit.se.steps import flatten, step_plan
from toolkit.se.task import SETask


def test_si_sdr_matches_the_numpy_metric():
    rng = np.random.default_rng(0)
    ref = rng.standard_normal(4000)
    est = 0.5 * ref + 0.3 * rng.standard_normal(4000)
    torch_value = float(si_sdr_torch(torch.from_numpy(est)[None], torch.from_numpy(ref)[None]))
    assert torch_value == pytest.approx(si_sdr(est, ref), abs=1e-3)


def _pairs(root, name, n, seed=0):
    wav, sp, ns = {}, {}, {}
    for i in range(n):
        k = f"{name}{i:02d}"
        wav[k] = str(write_wav(root / "a" / f"{k}.n.wav", 1.0, seed=seed + i))
        sp[k] = str(write_wav(root / "a" / f"{k}.s.wav", 1.0, seed=seed + 100 + i))
        ns[k] = str(write_wav(root / "a" / f"{k}.z.wav", 1.0, seed=seed + 200 + i))
    return write_datadir(root / name, {"wav.scp": wav, "speech.scp": sp, "noise.scp": ns},
                         {"sample_rate": 16000, "task": "se"})


def test_srst_draws_source_items_from_the_shrinking_top_share(tmp_path):
    target = _pairs(tmp_path, "tgt", 6)
    source = _pairs(tmp_path, "src", 20, seed=50)
    rank = tmp_path / "rank"
    write_kv(rank, {f"src{i:02d}": f"{i / 20:.3f}" for i in range(20)})  # src19 most target-like
    cfg = load_config(SEConfig, None, ["uda.mode=srst", f"uda.aux_data={source}",
                                       f"uda.aux_rank={rank}", "data.segment=0.5"])
    ds = SEDataset(target, cfg, train=True, aux_dir=str(source))
    assert [ds.share(e) for e in (0, 1, 10)] == pytest.approx([0.30, 0.27, 0.0])
    assert ds.lam(0) == 1.0 and ds.lam(1) == pytest.approx(0.8) and ds.lam(10) == 0.0
    assert ds.rank[:6] == [f"src{i:02d}" for i in range(19, 13, -1)]
    for e in range(4):
        ds.set_epoch(e)
        top = {f"src{i:02d}" for i in range(19, 19 - round(ds.share(e) * 20), -1)}
        keys = {ds.aux_key(i) for i in range(len(ds))}
        assert keys <= top, (e, keys, top)
    ds.set_epoch(2)
    item = ds[0]
    assert item["noisy"].shape == (8000,) and item["aux_speech"].shape == (8000,)
    assert float(item["lam"]) == pytest.approx(0.64)
    random_cfg = load_config(SEConfig, None, ["uda.mode=srst", "data.segment=0.5"])
    ds = SEDataset(target, random_cfg, train=True, aux_dir=str(source))
    assert ds.rank == sorted(ds.rank)  # no ranking file: the data directory's order


def test_step_plan_chains_the_paper_steps(tmp_path):
    (run,) = step_plan("srst", tmp_path / "data", tmp_path / "exp")
    assert run["uda"]["mode"] == "srst" and run["pseudo"][0] == tmp_path / "exp" / "dann"
    assert run["uda"]["aux_data"].endswith("source_train")
    # Algorithm 1: the ranking comes from a classifier trained afresh on the DANN encoder
    ranker = run["ranker"]
    assert ranker["uda"] == {"mode": "classifier", "init": str(tmp_path / "exp" / "dann"),
                             "reset_classifier": True,
                             "aux_data": str(tmp_path / "data" / "target_train"),
                             "aux_valid": str(tmp_path / "data" / "target_dev")}
    assert run["rank"][0] == ranker["exp"] and run["rank"][3] is False
    (run,) = step_plan("srst_random", tmp_path / "data", tmp_path / "exp")
    assert "ranker" not in run and run["rank"][3] is True
    (run,) = step_plan("dann", tmp_path / "data", tmp_path / "exp")
    assert run["uda"]["init"].endswith("classifier") and run["uda"]["aux_data"].endswith(
        "target_train")
    (run,) = step_plan("remixit", tmp_path / "data", tmp_path / "exp")
    assert run["pseudo"][0] == tmp_path / "exp" / "source"
    assert flatten("", {"optim": {"lr": 1e-4}, "model": {"conf": {"c": [1, 2]}}}) == [
        "optim.lr=0.0001", "model.conf.c=[1, 2]"]


def test_aggregate_groups_by_snr():
    per_key = {"a": {"pesq": 1.0, "stoi": 0.5, "si_sdr": 0.0, "snr": "-5.0"},
               "b": {"pesq": 3.0, "stoi": 0.9, "si_sdr": 10.0, "snr": "5.0"},
               "c": {"pesq": float("nan"), "stoi": 0.7, "si_sdr": 5.0, "snr": "5.0"}}
    out = aggregate_by_snr(per_key)
    assert out["n"] == 3 and out["pesq"] == pytest.approx(2.0)
    assert out["snr-5/pesq"] == 1.0 and out["snr5/si_sdr"] == pytest.approx(7.5)
    assert out["snr5/n"] == 2


def test_chunked_inference_matches_one_pass_away_from_the_seams():
    from tests.models.test_unet_se import small_model

    model = small_model().eval()
    x = np.random.default_rng(0).standard_normal(16000 * 5).astype(np.float32) * 0.1
    whole, _ = enhance_array(model, x, chunk_s=60.0)
    chunked, _ = enhance_array(model, x, chunk_s=2.0)
    assert whole.shape == chunked.shape == x.shape
    # chunks are normalised on their own level; white noise keeps it, so they agree
    err = np.sqrt(np.mean((whole - chunked) ** 2)) / np.sqrt(np.mean(whole ** 2))
    assert err < 0.05


def test_table_has_every_row_and_the_gap_share(tmp_path):
    import json

    from toolkit.se.table import gap_closed, markdown_table

    values = {"noisy": 0.0, "source": 2.0, "target": 10.0, "srst": 6.0, "dann": 5.0}
    for step, v in values.items():
        scores = {"pesq": 1 + v / 10, "stoi": 0.5 + v / 100, "si_sdr": v,
                  "snr-5/si_sdr": v - 5, "snr0/si_sdr": v, "snr5/si_sdr": v + 5}
        (tmp_path / step / "scores").mkdir(parents=True)
        (tmp_path / step / "scores" / "target_test.json").write_text(json.dumps(scores))
    text = markdown_table(tmp_path)
    assert "| SRST (similar source) |" in text and "| RemixIT | not yet measured" in text
    assert gap_closed({k: {"si_sdr": v, "pesq": v, "stoi": v} for k, v in values.items()})[
        "si_sdr"] == pytest.approx(0.5)
    assert "SI-SDR 50 %" in text
    assert "| DANN | 38 % | 38 % | 38 % |" in text  # (5 - 2) / (10 - 2) for every method


def test_tables_over_seeds_and_table2(tmp_path):
    import json

    from toolkit.se.table import tables_markdown

    exps = []
    for seed, shift in enumerate((0.0, 2.0)):
        exp = tmp_path / f"gap_s{seed}"
        for test_set, base in (("target_test", 0.0), ("target_test_source_lang", 4.0)):
            for step, v in {"noisy": 0.0, "source": 2.0, "target": 10.0, "srst": 6.0}.items():
                v = v + base + (shift if step != "noisy" else 0.0)
                scores = {"pesq": 1 + v / 10, "stoi": 0.5 + v / 100, "si_sdr": v,
                          "snr0/si_sdr": v}
                d = exp / step / "scores"
                d.mkdir(parents=True, exist_ok=True)
                (d / f"{test_set}.json").write_text(json.dumps(scores))
        exps.append(exp)
    text = tables_markdown(exps)
    # SRST SI-SDR 6 and 8 over the two seeds: mean 7, sample sd sqrt(2)
    assert "| SRST (similar source) | 2 | 7.000 ± 1.414 | 1.700 ± 0.141 |" in text
    assert "| SRST (similar source) | 2 | 50 ± 0 % | 50 ± 0 % | 50 ± 0 % |" in text
    assert "| DANN | 0 | - | - | - |" in text
    # Table 2: gap (target - source) 8 dB in both test speeches, per seed
    assert "| source language | Source model | 1.700 ± 0.141 | 0.570 ± 0.014 | 7.000 ± 1.414 |" \
        in text
    assert "| target languages | Gap (target - source) | 0.800 ± 0.000 | 0.080 ± 0.000 | " \
        "8.000 ± 0.000 |" in text
    one = tables_markdown(exps[:1])
    assert "| source language | Noisy | 1.400 | 0.540 | 4.000 |" in one


@pytest.mark.parametrize("mode", ["classifier", "dann", "srst"])
def test_modes_with_passes_outside_ddp_refuse_several_processes(monkeypatch, mode):
    from toolkit.errors import UserError
    from toolkit.registry import build_model

    cfg = load_config(SEConfig, None, [f"uda.mode={mode}"])
    model = build_model("se", cfg.model)
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(UserError, match="does not support --nproc > 1"):
        SETask().prepare_model(model, cfg, None, None)
    monkeypatch.setenv("WORLD_SIZE", "1")
    SETask().prepare_model(model, cfg, None, None)  # one process: fine


def _model_dir(folder, model, sets):
    """A trained-model folder (config, meta, last.pt) of ``model`` built with ``--set``s."""
    import yaml

    from toolkit.config import to_dict

    folder.mkdir()
    cfg = to_dict(load_config(SEConfig, None, sets))
    (folder / "config.yaml").write_text(yaml.safe_dump(cfg))
    (folder / "meta.yaml").write_text("task: se\n")
    torch.save({"model": model.state_dict()}, folder / "last.pt")
    return folder


def test_reset_classifier_keeps_the_encoder_and_draws_a_new_head(tmp_path):
    from tests.models.test_unet_se import SMALL, small_model

    trained = small_model()
    with torch.no_grad():
        for p in trained.classifier.parameters():
            p.fill_(0.5)
    small = [f"model.conf.{k}={v}" for k, v in SMALL.items()]
    dann = _model_dir(tmp_path / "dann", trained, small)
    model = small_model()
    cfg = load_config(SEConfig, None, ["uda.mode=classifier", f"uda.init={dann}",
                                       "uda.reset_classifier=true", *small])
    SETask().prepare_model(model, cfg, None, None)
    enc = {k: v for k, v in trained.state_dict().items() if not k.startswith("classifier.")}
    assert all(torch.allclose(model.state_dict()[k], v, atol=1e-3) for k, v in enc.items())
    weights = [p for p in model.classifier.parameters() if p.dim() > 1]
    assert weights and not any(torch.allclose(p, torch.full_like(p, 0.5)) for p in weights)
    assert all(p.requires_grad == n.startswith("classifier.")
               for n, p in model.named_parameters())


def test_a_warm_start_may_lack_only_the_recurrent_bottleneck(tmp_path):
    """``uda.init`` without the optional BiGRU loads (it starts as the identity); a model
    of another architecture is refused with one line, not a state-dict traceback."""
    from tests.models.test_unet_se import SMALL, small_model
    from toolkit.errors import UserError
    from toolkit.registry import build_model

    plain = small_model()
    small = [f"model.conf.{k}={v}" for k, v in SMALL.items()]
    init = _model_dir(tmp_path / "plain", plain, small)
    cfg = load_config(SEConfig, None, [f"uda.init={init}", *small, "model.conf.rnn=8"])
    model = build_model("se", {"name": "unet_se", "conf": {**SMALL, "rnn": 8}})
    SETask().prepare_model(model, cfg, None, None)
    x = torch.randn(1, 8000)
    with torch.no_grad():
        assert torch.allclose(model.eval()(x)["speech"], plain.eval()(x)["speech"], atol=1e-5)
    other = build_model("se", {"name": "unet_se", "conf": {**SMALL, "bottleneck": 8}})
    with pytest.raises(UserError, match="do not fit this model"):
        SETask().prepare_model(other, cfg, None, None)


def _mode_cfg(mode, aux, **extra):
    sets = [f"uda.mode={mode}", f"uda.aux_data={aux}", "data.segment=0.5"]
    return load_config(SEConfig, None, sets + [f"{k}={v}" for k, v in extra.items()])


@pytest.mark.parametrize("mode", ["classifier", "dann"])
def test_classifier_and_dann_never_read_the_targets_clean_speech(tmp_path, mode):
    source = _pairs(tmp_path, "src", 4)
    target = _pairs(tmp_path, "tgt", 4, seed=50)
    for role in ("speech.scp", "noise.scp"):  # labels that must never be opened
        (target / role).write_text("".join(f"tgt{i:02d} {tmp_path}/missing{i}.wav\n"
                                           for i in range(4)))
    ds = SEDataset(source, _mode_cfg(mode, target), train=True, aux_dir=str(target))
    item = ds[0]
    assert item["aux_noisy"].shape == (8000,) and "aux_speech" not in item
    with pytest.raises(Exception):  # noqa: B017 - srst does read its (source) labels
        SEDataset(source, _mode_cfg("srst", target), train=True, aux_dir=str(target))[0]


def test_dann_checkpoints_are_chosen_on_enhancement_not_domain_separation(tmp_path):
    from tests.models.test_unet_se import small_model

    source = _pairs(tmp_path, "src", 4)
    target = _pairs(tmp_path, "tgt", 4, seed=50)
    cfg = _mode_cfg("dann", target, **{"uda.beta": 100.0})
    ds = SEDataset(source, cfg, train=False, aux_dir=str(target))
    task = SETask()
    batch = task.collate([ds[i] for i in range(4)])
    model = small_model().eval()
    values, n = task.valid_step(model, batch)
    with torch.no_grad():
        total, train_values = task.train_step(model, batch)
    assert n == 4 and values["bce"] > 0.1
    assert values["loss"] == pytest.approx(train_values["enh_loss"], rel=1e-5)
    assert float(total) == pytest.approx(values["loss"] + 100.0 * values["bce"], rel=1e-4)


def test_the_step_reads_its_config_from_the_batch_not_from_the_task(tmp_path):
    from tests.models.test_unet_se import small_model

    source = _pairs(tmp_path, "src", 2)
    item = SEDataset(source, load_config(SEConfig, None, ["data.segment=0.5"]), True)[0]
    assert isinstance(item.pop("cfg"), SEConfig)
    with pytest.raises(ValueError, match="carry their run's config"):
        SETask().collate([item])
    general = load_config(SEConfig, None, ["data.segment=0.5", "loss.kind=snr_spec"])
    batch = SETask().collate([{**item, "cfg": general}])
    _, values = SETask().train_step(small_model(), batch)
    assert "snr" in values  # the general loss, chosen by the batch's config


def test_a_teacher_sets_the_targets_of_near_clean_training_items_only(tmp_path):
    """``loss.teacher``: items of input SNR >= ``loss.teacher_db`` learn the teacher's
    speech (and the rest of the input as noise); noisier items keep their targets."""
    from tests.models.test_unet_se import SMALL, small_model
    from toolkit.errors import UserError

    small = [f"model.conf.{k}={v}" for k, v in SMALL.items()]
    teacher_model = small_model()
    teacher = _model_dir(tmp_path / "teacher", teacher_model, small)
    cfg = load_config(SEConfig, None, [*small, "loss.kind=snr_spec", f"loss.teacher={teacher}",
                                       "loss.teacher_db=15"])
    task, student = SETask(), small_model()
    task.prepare_model(student, cfg, None, None)
    g = torch.Generator().manual_seed(0)
    speech = torch.randn(3, 8000, generator=g)
    level = torch.tensor([[1.0], [0.01], [0.0]])  # input SNR 0 dB, 40 dB, clean
    noise = torch.randn(3, 8000, generator=g) * level
    noisy = speech + noise
    with torch.no_grad():
        t = teacher_model.eval()(noisy)["speech"]
    s2, n2 = task._targets(noisy, speech, noise, cfg)
    assert torch.equal(s2[0], speech[0]) and torch.equal(n2[0], noise[0])
    assert torch.allclose(s2[1:], t[1:], atol=1e-5)
    assert torch.allclose(n2[1:], noisy[1:] - t[1:], atol=1e-5)
    s3, n3 = task._targets(noisy[:1], speech[:1], noise[:1], cfg)
    assert s3 is not None and torch.equal(s3, speech[:1]) and torch.equal(n3, noise[:1])
    assert not any(p.requires_grad for p in task._teacher.parameters())
    assert not any(k.startswith("_teacher") for k in student.state_dict())
    with pytest.raises(UserError, match="snr_spec"):
        SETask().prepare_model(small_model(), load_config(
            SEConfig, None, [*small, f"loss.teacher={teacher}"]), None, None)


def test_keep_noise_leaves_a_rising_share_of_the_noise_in_near_clean_targets():
    """``loss.keep_noise_db [lo, hi]``: no share below ``lo``, all of the noise from ``hi``
    on, linear between; the targets still sum to the input. Off by default; a bad pair or
    another loss kind is refused."""
    from tests.models.test_unet_se import SMALL, small_model
    from toolkit.errors import ConfigError, UserError

    small = [f"model.conf.{k}={v}" for k, v in SMALL.items()]
    cfg = load_config(SEConfig, None, [*small, "loss.kind=snr_spec", "loss.keep_noise_db=[20,30]"])
    task = SETask()
    task.prepare_model(small_model(), cfg, None, None)
    g = torch.Generator().manual_seed(0)
    speech = torch.randn(4, 8000, generator=g)
    noise = torch.randn(4, 8000, generator=g)
    snr = torch.tensor([0.0, 25.0, 30.0, 45.0])
    ratio = speech.pow(2).sum(-1) / noise.pow(2).sum(-1) / 10 ** (snr / 10)
    noise = noise * ratio.sqrt()[:, None]
    s2, n2 = task._targets(speech + noise, speech, noise, cfg)
    share = torch.tensor([0.0, 0.5, 1.0, 1.0])[:, None]
    assert torch.allclose(s2, speech + share * noise, atol=1e-4)
    assert torch.allclose(n2, (1 - share) * noise, atol=1e-4)
    assert torch.allclose(s2 + n2, speech + noise, atol=1e-5)
    off = load_config(SEConfig, None, [*small, "loss.kind=snr_spec"])
    s3, n3 = task._targets(speech + noise, speech, noise, off)
    assert torch.equal(s3, speech) and torch.equal(n3, noise)
    with pytest.raises(ConfigError, match="keep_noise_db"):
        load_config(SEConfig, None, [*small, "loss.keep_noise_db=[30,20]"])
    with pytest.raises(UserError, match="snr_spec"):
        SETask().prepare_model(small_model(), load_config(
            SEConfig, None, [*small, "loss.keep_noise_db=[20,30]"]), None, None)


def test_a_dann_on_the_temporal_layer_warm_starts_with_a_fresh_classifier(tmp_path):
    """``model.conf.domain_layer=tcn`` from a source model whose classifier read the
    encoder: every other weight is loaded, the classifier (another input size) starts
    afresh, and the adversary's gradient reaches the temporal layers."""
    from tests.models.test_unet_se import SMALL, small_model
    from toolkit.registry import build_model

    plain = small_model()
    small = [f"model.conf.{k}={v}" for k, v in SMALL.items()]
    init = _model_dir(tmp_path / "plain", plain, small)
    cfg = load_config(SEConfig, None, [f"uda.init={init}", *small,
                                       "model.conf.domain_layer=tcn"])
    model = build_model("se", {"name": "unet_se", "conf": {**SMALL, "domain_layer": "tcn"}})
    SETask().prepare_model(model, cfg, None, None)
    x = torch.randn(2, 8000)
    with torch.no_grad():
        assert torch.allclose(model.eval()(x)["speech"], plain.eval()(x)["speech"], atol=1e-5)
    out = model(x)
    assert out["bottleneck"].shape[1] == SMALL["bottleneck"]
    model.domain_logits(out["bottleneck"], reverse=1.0).sum().backward()
    assert model.tcn[0][0].weight.grad.abs().sum() > 0
    assert model.proj_out.weight.grad is None  # after the domain layer: no adversary
    normed = build_model("se", {"name": "unet_se", "conf": {**SMALL, "classifier_norm": True}})
    cfg = load_config(SEConfig, None, [f"uda.init={init}", *small,
                                       "model.conf.classifier_norm=true"])
    SETask().prepare_model(normed, cfg, None, None)  # the classifier's BN statistics are new
    assert torch.equal(normed.classifier.norm.running_var, torch.ones_like(
        normed.classifier.norm.running_var))
