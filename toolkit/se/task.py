"""Speech enhancement with unsupervised domain adaptation (recipes/se).

Data roles: ``wav.scp`` (noisy), ``speech.scp`` and ``noise.scp`` (the clean
speech and the scaled noise; teacher estimates in pseudo-labelled directories),
``utt2snr`` and ``utt2domain``. One task serves the six training modes of the
SRST paper (``uda.mode``); each mode is one run of the shared trainer with its
own experiment directory, chained by :mod:`toolkit.se.steps`:

- ``source`` / ``target``: supervised, loss ``-SI-SDR(speech) - SI-SDR(noise)``;
- ``classifier``: the domain classifier on the frozen encoder's bottleneck (BCE);
  each item pairs a source mixture with a target mixture (``uda.aux_data``);
- ``dann``: enhancement loss on the source half plus ``beta * BCE`` on both
  halves through a gradient reversal layer;
- ``remixit``: teacher estimates (pseudo-labelled ``speech.scp`` / ``noise.scp``)
  remixed with the noises permuted within the batch; the student learns to
  recover the teacher's speech and permuted noise from the bootstrapped mixture;
- ``srst``: the RemixIT loss plus ``lambda_e * L_source`` on source items drawn
  from the top ``srst_start - e * srst_step`` share of ``uda.aux_rank`` (the most
  target-like source items by a domain classifier trained afresh on the DANN
  encoder, Algorithm 1 of the paper; or a random order for the "random source"
  variant); ``lambda_e = lambda0 * lambda_decay ** e``.

The general enhancer (``mix`` with noise sources, ``loss.kind: snr_spec``) is
the ``source`` mode on dynamically mixed data (:mod:`toolkit.se.simulate`).
Every batch carries its run's config under ``"cfg"`` (:meth:`SETask.collate`):
the step reads mode and loss from it; the task object keeps no state but the
frozen teacher of ``loss.teacher`` (:meth:`SETask.prepare_model`), never saved.

DANN's validation loss is the source enhancement loss alone (BCE and domain
accuracy are reported beside it): a checkpoint is never chosen for separating
the domains better.
"""


from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import default_collate

from toolkit.errors import UserError
from toolkit.se import data, infer, score
from toolkit.se.config import SEConfig
from toolkit.se.loss import enhancement_loss, general_loss
from toolkit.train.distributed import dist_env
from toolkit.train.packing import load_model_dir
from toolkit.train.task import Task

log = logging.getLogger(__name__)


def _unwrap(model: Any) -> Any:
    return getattr(model, "module", model)


def _classifier_kind(model: torch.nn.Module) -> tuple:
    """What a model's domain classifier reads: ``(domain_layer, classifier_norm)``."""
    conf = getattr(model, "conf", None)
    return (getattr(conf, "domain_layer", "encoder"), getattr(conf, "classifier_norm", False))


class SETask(Task):
    """Speech enhancement: the general enhancer and the UDA modes of the SRST paper."""

    name = "se"
    config_class = SEConfig

    def build_datasets(self, cfg, train_dir, valid_dir):
        return data.build_datasets(cfg, train_dir, valid_dir)

    def prepare_model(self, model, cfg, train_set, exp_dir):
        """Start from ``uda.init``; freeze what the mode must not change."""
        if cfg.uda.mode in ("classifier", "dann", "srst") and dist_env().enabled:
            # these modes run encoder / classifier passes outside the DDP forward (and srst
            # two forwards per step), so gradients would not be synchronised across processes
            raise UserError(f"uda.mode {cfg.uda.mode} does not support --nproc > 1 (its domain "
                            "classifier and source passes bypass DistributedDataParallel); "
                            "train this step with --nproc 1")
        if cfg.uda.init:
            _, _, init = load_model_dir(cfg.uda.init)
            state = {k: v.float() for k, v in init.state_dict().items()}
            own = model.state_dict()
            optional = getattr(model, "WARM_START_OPTIONAL", ())
            if _classifier_kind(model) != _classifier_kind(init):
                # the init model's classifier read other features: this one starts afresh
                state = {k: v for k, v in state.items() if not k.startswith("classifier.")}
                optional = (*optional, "classifier.")
                log.info("uda.init %s: its domain classifier read other features (layer, "
                         "normalisation); this one starts afresh", cfg.uda.init)
            missing = [k for k in own if k not in state]
            bad = [k for k in missing if not k.startswith(optional)]
            bad += [k for k, v in state.items() if k not in own or own[k].shape != v.shape]
            if bad:
                raise UserError(f"uda.init {cfg.uda.init}: its weights do not fit this model "
                                f"(missing, extra or of another shape: {', '.join(bad[:4])}); "
                                "give a model of the same architecture")
            model.load_state_dict(state, strict=False)
            if added := sorted({k.split(".")[0] for k in missing} - {"classifier"}):
                log.info("uda.init %s has no %s: they start as the identity",
                         cfg.uda.init, ", ".join(added))
            if cfg.uda.init_negate:
                model.negate_outputs()
        self._teacher = None
        if cfg.loss.keep_noise_db and cfg.loss.kind != "snr_spec":
            raise UserError(f"loss.keep_noise_db is for loss.kind snr_spec (this run: "
                            f"{cfg.loss.kind}); remove loss.keep_noise_db or change the loss")
        if cfg.loss.teacher:
            if cfg.loss.kind != "snr_spec":
                raise UserError(f"loss.teacher is for loss.kind snr_spec (this run: "
                                f"{cfg.loss.kind}); remove loss.teacher or change the loss")
            _, _, self._teacher = load_model_dir(cfg.loss.teacher)
            self._teacher.eval().requires_grad_(False)
        if cfg.uda.reset_classifier:
            for m in model.classifier.modules():
                if hasattr(m, "reset_parameters"):
                    m.reset_parameters()
        if cfg.uda.mode == "classifier":
            for name, p in model.named_parameters():
                p.requires_grad_(name.startswith("classifier."))
        elif cfg.uda.mode == "dann" and cfg.uda.freeze_classifier:
            for p in model.classifier.parameters():
                p.requires_grad_(False)

    def collate(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """Stack the tensors; the run's config (``"cfg"``, one per item) goes along once."""
        if not items or "cfg" not in items[0]:
            raise ValueError("se items carry their run's config under 'cfg' "
                             "(build them with toolkit.se.data.build_datasets)")
        cfg = items[0]["cfg"]
        batch = default_collate([{k: v for k, v in it.items() if k != "cfg"} for it in items])
        return {**batch, "cfg": cfg}

    def train_step(self, model, batch):
        cfg: SEConfig = batch["cfg"]
        return getattr(self, f"_step_{cfg.uda.mode}")(model, batch, cfg)

    def valid_step(self, model, batch):
        """Batch means of the step's values; DANN's ``loss`` is its enhancement loss only."""
        cfg: SEConfig = batch["cfg"]
        with torch.no_grad():
            loss, values = self.train_step(model, batch)
        if cfg.uda.mode == "dann":
            loss = values.pop("enh_loss")
        return {"loss": float(loss), **values}, len(batch["noisy"])

    def _targets(self, noisy, speech, noise, cfg):
        """The ``snr_spec`` targets, in training and validation alike (the checkpoint is
        chosen on the objective it was trained for): items of input SNR >=
        ``loss.teacher_db`` take the teacher's speech (and the rest of the input as
        noise); then with ``loss.keep_noise_db`` the near-clean ones keep their share of
        the noise in the speech target. The others keep theirs."""
        teacher = getattr(self, "_teacher", None)
        keep = cfg.loss.keep_noise_db
        if teacher is None and not keep:
            return speech, noise
        snr_in = 10 * torch.log10(speech.pow(2).sum(-1) / (noise.pow(2).sum(-1) + 1e-12) + 1e-12)
        near = (snr_in >= cfg.loss.teacher_db).unsqueeze(-1)
        if teacher is not None and near.any():
            with torch.no_grad():
                t = teacher.to(noisy.device)(noisy)["speech"]
            speech, noise = torch.where(near, t, speech), torch.where(near, noisy - t, noise)
        if keep:
            lo, hi = (float(v) for v in keep)
            share = ((snr_in - lo) / (hi - lo)).clamp(0.0, 1.0).unsqueeze(-1)
            speech, noise = speech + share * noise, (1.0 - share) * noise
        return speech, noise

    def _step_source(self, model, batch, cfg):
        out = model(batch["noisy"])
        if cfg.loss.kind == "snr_spec":
            speech, noise = self._targets(batch["noisy"], batch["speech"], batch["noise"], cfg)
            return general_loss(out, batch["noisy"], speech, noise, cfg.loss)
        loss, s = enhancement_loss(out, batch["speech"], batch["noise"])
        return loss, {"si_sdr": float(s.mean())}

    _step_target = _step_source

    def _domain_bce(self, model, z_src, z_tgt, reverse):
        m = _unwrap(model)
        logits = m.domain_logits(torch.cat([z_src, z_tgt]), reverse=reverse)
        labels = torch.cat([torch.zeros(len(z_src)), torch.ones(len(z_tgt))]).to(logits)
        bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        acc = float(((logits > 0).float() == labels).float().mean())
        return bce, acc

    def _step_classifier(self, model, batch, cfg):
        m = _unwrap(model)
        with torch.no_grad():
            z_src = m.bottleneck(batch["noisy"])
            z_tgt = m.bottleneck(batch["aux_noisy"])
        bce, acc = self._domain_bce(model, z_src, z_tgt, reverse=0.0)
        return bce, {"acc": acc}

    def _step_dann(self, model, batch, cfg):
        out = model(batch["noisy"])
        enh, s = enhancement_loss(out, batch["speech"], batch["noise"])
        z_tgt = _unwrap(model).bottleneck(batch["aux_noisy"])
        bce, acc = self._domain_bce(model, out["bottleneck"], z_tgt, reverse=cfg.uda.grl)
        values = {"si_sdr": float(s.mean()), "bce": float(bce.detach()), "acc": acc,
                  "enh_loss": float(enh.detach())}
        return enh + cfg.uda.beta * bce, values

    def _remix_loss(self, model, batch, training: bool):
        s, n = batch["speech"], batch["noise"]
        b = len(s)
        perm = torch.randperm(b) if training else torch.roll(torch.arange(b), 1)
        n = n[perm.to(n.device)]
        out = model(s + n)
        return enhancement_loss(out, s, n)

    def _step_remixit(self, model, batch, cfg):
        loss, s = self._remix_loss(model, batch, _unwrap(model).training)
        return loss, {"si_sdr_pseudo": float(s.mean())}

    def _step_srst(self, model, batch, cfg):
        remix, s = self._remix_loss(model, batch, _unwrap(model).training)
        lam = float(batch["lam"][0])
        values = {"si_sdr_pseudo": float(s.mean()), "lambda": lam}
        if lam <= 0:
            return remix, values
        out = model(batch["aux_noisy"])
        src, s_src = enhancement_loss(out, batch["aux_speech"], batch["aux_noise"])
        values["si_sdr_source"] = float(s_src.mean())
        return remix + lam * src, values

    # ------------------------------------------------------------------ inference
    def decode(self, model, cfg, data_dir, out_dir, keys, device):
        return infer.decode_datadir(model, cfg, Path(data_dir), Path(out_dir), keys, device)

    # ------------------------------------------------------------------ scoring
    def score_keys(self, ref_dir, hyp_dir, keys):
        return score.score_keys(Path(ref_dir), Path(hyp_dir), keys)

    def aggregate(self, per_key):
        return score.aggregate_by_snr(per_key)


TASK = SETask()
