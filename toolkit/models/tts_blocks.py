"""Building blocks of the LSTM TTS models (Zen & Sak 2015; Li & Zen 2016).

- :class:`Tower`: ReLU projection, then stacked LSTM layers with output projection.
- :class:`RecurrentOutput`: the linear RNN output layer ``y_t = W h_t + R y_{t-1} + b``
  (``W``: out x in, ``R``: out x out), whose recurrence smooths the trajectories
  so that no dynamic features are needed.
- :class:`NamedSlots`: the language / speaker names a model knows, with one-line
  errors listing them.
- :func:`phone_dim` / :func:`frame_dim`: the sizes of the front end's input vectors
  (:mod:`toolkit.tts.frontend` builds them; the models only need their sizes, so the
  sizes live here and the models import no task package).
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

from toolkit.errors import UserError

# torch falls back from oneDNN to its own kernel for LSTMs with projections; say it once in
# the docs, not on every forward pass.
warnings.filterwarnings("ignore", message="LSTM with projections is not supported with oneDNN")

#: Phone-level extras (primary/secondary stress, vowel, pause) and position/count features.
N_PHONE_EXTRA, N_POSITION = 4, 17
#: Frame-level extras: 3 coarse-coded positions in the phone and the phone's duration.
N_FRAME_EXTRA = 4


def phone_dim(slots: int) -> int:
    """Size of the phone-level feature vector (previous/current/next phone one-hots + extras)."""
    return 3 * slots + N_PHONE_EXTRA + N_POSITION


def frame_dim(slots: int) -> int:
    """Size of the frame-level feature vector (the acoustic model's input)."""
    return phone_dim(slots) + N_FRAME_EXTRA


class Tower(nn.Module):
    """ReLU projection to ``proj_dim``, ``layers`` LSTMs of ``cells`` with ``lstm_proj`` outputs.

    Two forms of the LSTM output projection:

    - ``recurrent`` (the paper's LSTMP, Sak et al. 2014): the projected output is
      also the recurrent input (``torch.nn.LSTM(proj_size=...)``);
    - ``output``: a plain LSTM layer followed by a linear projection that feeds only
      the next layer. On CPU torch runs LSTMP through a slow fallback kernel (about
      15x slower than a plain LSTM here), so the small configs use this form.

    Args:
        in_dim: input feature size.
        proj_dim: size of the ReLU projection (256 in the paper).
        cells: LSTM memory cells (256).
        lstm_proj: LSTM output projection (128); 0 for none.
        layers: LSTM layers (3).
        proj_mode: ``recurrent`` or ``output``.
        dropout: dropout probability on the ReLU projection's output and between LSTM
            layers (training only; 0, the paper's setting, for none).
    """

    def __init__(self, in_dim: int, proj_dim: int, cells: int, lstm_proj: int, layers: int,
                 proj_mode: str = "recurrent", dropout: float = 0.0):
        super().__init__()
        if proj_mode not in ("recurrent", "output"):
            raise UserError(f"model.conf.proj_mode '{proj_mode}': use recurrent or output")
        if not 0.0 <= dropout < 1.0:
            raise UserError(f"model.conf.dropout {dropout}: give a probability in [0, 1)")
        self.drop = nn.Dropout(dropout)
        self.proj = nn.Linear(in_dim, proj_dim)
        use_proj = 0 < lstm_proj < cells
        self.out_dim = lstm_proj if use_proj else cells
        self.stack = None
        if proj_mode == "recurrent" or not use_proj:
            self.lstm = nn.LSTM(proj_dim, cells, num_layers=layers, batch_first=True,
                                proj_size=lstm_proj if use_proj else 0,
                                dropout=dropout if layers > 1 else 0.0)
        else:
            self.stack = nn.ModuleList()
            for i in range(layers):
                self.stack.append(nn.LSTM(proj_dim if i == 0 else lstm_proj, cells,
                                          batch_first=True))
                self.stack.append(nn.Linear(cells, lstm_proj))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, frames, in_dim)`` -> ``(batch, frames, out_dim)``."""
        h = self.drop(torch.relu(self.proj(x)))
        if self.stack is None:
            return self.lstm(h)[0]
        last = len(self.stack) // 2 - 1
        for i, (lstm, proj) in enumerate(zip(self.stack[::2], self.stack[1::2], strict=True)):
            h = proj(lstm(h)[0])
            if i < last:
                h = self.drop(h)
        return h


class RecurrentOutput(nn.Module):
    """Linear recurrent output layer ``y_t = W h_t + R y_{t-1} + b`` (``y_0 = 0``).

    Args:
        in_dim: size of ``h`` (128).
        out_dim: size of ``y`` (49).
    """

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.forward_proj = nn.Linear(in_dim, out_dim)
        self.recurrent = nn.Linear(out_dim, out_dim, bias=False)
        nn.init.zeros_(self.recurrent.weight)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """``(batch, frames, in_dim)`` -> ``(batch, frames, out_dim)``.

        A parallel (Hillis-Steele) scan instead of a Python loop over frames: after
        the pass with step ``d``, ``y_t = sum_{j < 2d} u_{t-j} R'^j`` (``R' = R^T``),
        so ``log2(frames)`` batched products give the recurrence exactly (up to
        rounding); training the small models on CPU is about 2x faster.
        """
        y = self.forward_proj(h)
        a = self.recurrent.weight.t()
        d, t = 1, y.shape[1]
        while d < t:
            y = torch.cat([y[:, :d], y[:, d:] + y[:, :-d] @ a], 1)
            a = a @ a
            d *= 2
        return y


class NamedSlots:
    """Index of names (languages or speakers) with a clear error for unknown ones."""

    def __init__(self, names: list[str], what: str):
        if len(set(names)) != len(names) or not names:
            raise UserError(f"model.conf.{what}s must list distinct names (got {names})")
        self.names, self.what = list(names), what
        self.index = {n: i for i, n in enumerate(names)}

    def __call__(self, name: str) -> int:
        if name not in self.index:
            raise UserError(f"unknown {self.what} '{name}' (the model knows: "
                            f"{', '.join(self.names)})")
        return self.index[name]


def set_trainable(module: nn.Module, trainable: bool) -> None:
    """Switch ``requires_grad`` of every parameter of ``module``."""
    for p in module.parameters():
        p.requires_grad_(trainable)


def generate_acoustic(model: nn.Module, x: torch.Tensor, lang: str, speaker: str) -> torch.Tensor:
    """Natural-unit ``(frames, out_dim)`` of an acoustic model with language and speaker
    inputs (MLMS, the closed-form references) for raw ``(frames, in_dim)``."""
    li = torch.tensor([model.languages(lang)], device=x.device)
    si = torch.tensor([model.speakers(speaker)], device=x.device)
    y = model(x[None].float(), li, si)[0]
    return y * model.out_norm.std + model.out_norm.mean
