"""The tone (template) task: items, a few training steps, short clips, no task state."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.conftest import write_wav
from toolkit.config import from_dict
from toolkit.data.datadir import write_datadir
from toolkit.errors import DataDirError
from toolkit.registry import build_model
from toolkit.tone.config import ToneConfig
from toolkit.tone.corpus import build_tones
from toolkit.tone.infer import classify_array
from toolkit.tone.task import TASK


def _cfg(model: str = "tone_cnn", **data) -> ToneConfig:
    return from_dict(ToneConfig, {"model": {"name": model, "conf": {"n_mels": 40}},
                                  "data": {"crop_frames": 32, **data}})


@pytest.mark.parametrize("model", ["tone_cnn", "tone_linear"])
def test_a_few_training_steps_reduce_the_loss_without_any_task_state(tmp_path, model):
    corpus = build_tones(tmp_path / "tones", 24, 0, 16000, 0.5, None, False)
    cfg = _cfg(model)
    train, _ = TASK.build_datasets(cfg, corpus, None)
    item = train[0]
    assert item["feats"].shape == (32, 40) and item["label"] in (0, 1, 2)
    torch.manual_seed(0)
    model = build_model("tone", cfg.model)
    TASK.prepare_model(model, cfg, train, tmp_path)
    batch = TASK.collate([train[i] for i in range(len(train))])
    fresh = type(TASK)()  # never saw build_datasets: the step needs nothing else
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        loss, values = fresh.train_step(model, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert 0.0 <= values["acc"] <= 1.0 and min(losses[-5:]) < 0.6 * losses[0], losses


def test_short_clips_are_padded_and_unknown_labels_name_the_line(tmp_path):
    cfg = _cfg()
    model = build_model("tone", cfg.model).eval()
    probs = classify_array(model, cfg, np.zeros(1600, np.float32))  # 0.1 s < 32 frames
    assert set(probs) == {"noise", "tone", "chirp"} and sum(probs.values()) == pytest.approx(1)
    wav = {"a": str(write_wav(tmp_path / "a.wav")), "b": str(write_wav(tmp_path / "b.wav"))}
    d = write_datadir(tmp_path / "d", {"wav.scp": wav, "label": {"a": "tone", "b": "whistle"}},
                      {"sample_rate": 16000, "task": "tone"})
    with pytest.raises(DataDirError, match="label line 2: unknown class 'whistle'"):
        TASK.build_datasets(cfg, d, None)
