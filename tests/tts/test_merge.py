"""Adapted languages merged into one model: exact for v1 / duration_adapt, refused otherwise."""

from __future__ import annotations

import pytest
import torch

from toolkit.config import dump_yaml, from_dict
from toolkit.errors import UserError
from toolkit.registry import build_model
from toolkit.train.checkpoint import save_checkpoint
from toolkit.train.packing import load_model_dir, write_exp_meta
from toolkit.tts.config import TtsConfig

BASE = {"model": {"name": "mlms", "conf": {
    "phone_slots": 8, "languages": ["en", "fr"], "speakers": ["a", "b"], "n_basis": 2,
    "proj_dim": 8, "cells": 8, "lstm_proj": 4, "layers": 1, "proj_mode": "output"}},
    "duration": {"name": "tts_duration", "conf": {"proj_dim": 8, "cells": 8, "layers": 1,
                                                  "embed_dim": 4}}}


def save_exp(path, cfg, model):
    path.mkdir(parents=True)
    (path / "config.yaml").write_text(dump_yaml(cfg))
    save_checkpoint({"model": model.state_dict()}, path / "model.pt")
    write_exp_meta(path, "tts", cfg.model.name)


def adapted_run(tmp_path, base_dir, kind, lang, spk, **experiment):
    """A run of ``kind`` from ``base_dir`` whose per-language/speaker weights moved."""
    from toolkit.tts.task import _load_init

    cfg = from_dict(TtsConfig, {**BASE, "experiment": {
        "kind": kind, "language": lang, "speaker": spk, "init": str(base_dir), **experiment}})
    model = build_model("tts", cfg.model)
    _load_init(model, str(base_dir))
    with torch.no_grad():  # what training the trainable groups on (lang, spk) changes
        for p in model.parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p))
    save_exp(tmp_path / f"{kind}_{lang}", cfg, model)
    return tmp_path / f"{kind}_{lang}"


@pytest.mark.parametrize("kind,variant", [("adapt", "v1"), ("duration_adapt", "")])
def test_merged_model_speaks_base_and_adapted_languages_exactly(tmp_path, kind, variant):
    base_kind = "mlms" if kind == "adapt" else "duration"
    cfg = from_dict(TtsConfig, {**BASE, "experiment": {"kind": base_kind}})
    torch.manual_seed(0)
    base = build_model("tts", cfg.model)
    save_exp(tmp_path / "base", cfg, base)
    extra = {"variant": variant} if variant else {}
    runs = [adapted_run(tmp_path, tmp_path / "base", kind, lang, spk, **extra)
            for lang, spk in (("bg", "c"), ("ca", "d"))]
    from toolkit.tts.merge import merge_adapted

    res = merge_adapted(tmp_path / "base", runs, tmp_path / "merged")
    assert res == {"languages": ["en", "fr", "bg", "ca"], "speakers": ["a", "b", "c", "d"]}
    _, _, merged = load_model_dir(tmp_path / "merged")
    x = torch.randn(3, merged.in_dim)
    for src, pairs in ((base, [("en", "a"), ("fr", "b")]),
                       (load_model_dir(runs[0])[2], [("bg", "c")]),
                       (load_model_dir(runs[1])[2], [("ca", "d")])):
        for lang, spk in pairs:
            torch.testing.assert_close(merged.generate(x, lang, spk), src.generate(x, lang, spk))


def test_a_run_that_changed_shared_weights_is_refused(tmp_path):
    cfg = from_dict(TtsConfig, {**BASE, "experiment": {"kind": "mlms"}})
    save_exp(tmp_path / "base", cfg, build_model("tts", cfg.model))
    v2 = adapted_run(tmp_path, tmp_path / "base", "adapt", "bg", "c", variant="v2")
    from toolkit.tts.merge import merge_adapted

    with pytest.raises(UserError, match="weight 'mean.* differs.*only adaptation runs"):
        merge_adapted(tmp_path / "base", [v2], tmp_path / "merged")
    assert not (tmp_path / "merged" / "best.pt").exists()


def test_an_init_of_another_size_is_refused_in_one_line(tmp_path):
    from toolkit.tts.task import _load_init

    cfg = from_dict(TtsConfig, {**BASE, "experiment": {"kind": "mlms"}})
    save_exp(tmp_path / "base", cfg, build_model("tts", cfg.model))
    wide = {**BASE, "model": {"name": "mlms", "conf": {**BASE["model"]["conf"], "cells": 16,
                                                        "lstm_proj": 6}}}
    other = from_dict(TtsConfig, {**wide, "experiment": {
        "kind": "adapt", "variant": "v1", "language": "bg", "speaker": "c",
        "init": str(tmp_path / "base")}})
    with pytest.raises(UserError, match="do not fit this experiment's model .*model.conf"):
        _load_init(build_model("tts", other.model), str(tmp_path / "base"))


def test_a_duration_init_of_another_size_is_refused(tmp_path):
    """A wider duration model is not silently half-copied (the shapes that fit, the rest fresh)."""
    from toolkit.tts.task import _load_init

    cfg = from_dict(TtsConfig, {**BASE, "experiment": {"kind": "duration"}})
    save_exp(tmp_path / "base", cfg, build_model("tts", cfg.model))
    narrow = {**BASE, "duration": {"name": "tts_duration", "conf": {
        **BASE["duration"]["conf"], "cells": 4}}}
    other = from_dict(TtsConfig, {**narrow, "experiment": {
        "kind": "duration_adapt", "language": "bg", "speaker": "c",
        "init": str(tmp_path / "base")}})
    with pytest.raises(UserError, match="'lstm.weight_ih_l0' is"):
        _load_init(build_model("tts", other.model), str(tmp_path / "base"))
