"""``sptk-cli cancel-echo`` and ``sptk-cli export-onnx``; registers the ``aec`` group.

Thin: parse, pair every microphone file with its far end, call
:func:`toolkit.aec.infer.cancel_echo_file`, print. The model is loaded once per call.
"""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from toolkit.cli import aec_group
from toolkit.cli.app import fail
from toolkit.cli.options import DEVICE, INPUTS, MODEL, OUT, OVERWRITE, SKIP_EXISTING

log = logging.getLogger("toolkit")
FAR_SUFFIXES = ("_lpb", "_ref", "_far")


def _model_dir(model: Path | None) -> Path:
    from toolkit.train.packing import default_model_dir

    return model if model is not None else default_model_dir("aec")


def _far_end(mic: Path, rel: Path, ref: Path | None) -> Path:
    """The far-end file of one microphone file (see ``cancel-echo --help``)."""
    names = [rel] + [rel.with_name(rel.name.replace("_mic", s, 1)) for s in FAR_SUFFIXES
                     if "_mic" in rel.name]
    if ref is not None and ref.is_file():
        return ref
    cands = [ref / name if ref is not None else mic.with_name(name.name) for name in names]
    cands = [c for c in cands if c != mic]
    for cand in cands:
        if cand.is_file():
            return cand
    hint = "pass --ref FILE for one input or --ref FOLDER with one file per input"
    if not cands:  # no --ref and no _mic in the name: nothing to look for beside it
        fail(f"{mic}: which file is its far end? Without --ref a microphone file must be "
             f"named *_mic* (its far end *_lpb*, *_ref* or *_far* beside it); {hint}")
    where = f"in {ref}" if ref is not None else f"beside {mic}"
    fail(f"{mic}: no far-end file {where} (looked for {', '.join(c.name for c in cands)}); "
         f"{hint}")


def cancel_echo(
    inputs: list[str] = INPUTS,
    ref: Path = typer.Option(None, "--ref", "-r", help="Far end (loopback): a file for one "
                             "input, or a folder with a file of the same name (or _mic -> _lpb, "
                             "_ref, _far) per input. Default: beside each input, its name with "
                             "_mic replaced by _lpb, _ref or _far (AEC Challenge layout)."),
    out: Path = OUT,
    model: Path = MODEL,
    device: str = DEVICE,
    method: str = typer.Option("model", "--method", help="model | nlms (classical: GCC-PHAT + "
                               "frequency-domain NLMS)."),
    stream: bool = typer.Option(False, "--stream", help="Run the exported ONNX step frame by "
                                "frame (10 ms) under onnxruntime on the CPU, as a real-time "
                                "application would."),
    overwrite: bool = OVERWRITE,
    skip_existing: bool = SKIP_EXISTING,
) -> None:
    """Remove the far end's echo from microphone files; write the near-end signal.

    Any sample rate (mic and far end at one rate): resampled to 16 kHz for the
    model, written at the input rate. A silent far end passes the microphone
    through with a warning. Memory is bounded whatever the input length: 20-s
    chunks offline, one 10-ms frame with --stream or --method nlms.
    Without -o, outputs go to ./<name>_aec.wav.
    """
    import tempfile

    from toolkit.aec.infer import cancel_echo_file, load_aec_model
    from toolkit.cli.inputs import check_existing, expand_inputs, plan_outputs, self_output
    from toolkit.progress import Progress
    from toolkit.train.distributed import resolve_device

    if method not in ("model", "nlms"):
        fail(f"--method {method}: use model or nlms")
    if stream and method != "model":
        fail("--stream runs the model; leave it out with --method nlms")
    if ref is not None and not ref.exists():
        fail(f"--ref {ref}: no such file or folder")
    items = expand_inputs(inputs, what="microphone file")
    if len(items) > 1:  # a folder of calls holds the far ends too: they are not inputs
        items = [i for i in items if not i.path.stem.endswith(FAR_SUFFIXES)]
    if ref is not None and ref.is_file() and len(items) > 1:
        fail(f"--ref {ref} is one file but {len(items)} inputs were given; pass a folder")
    fars = [_far_end(i.path, i.rel, ref) for i in items]
    outs = plan_outputs(items, out, Path("."), suffix="_aec", ext=".wav")
    self_output(items, outs)
    todo = check_existing(items, outs, overwrite, skip_existing)
    device = resolve_device(device)
    net, streamer = None, None
    if method == "nlms":
        from toolkit.aec.streaming import NlmsStreamer

        streamer = NlmsStreamer()
    else:
        net = load_aec_model(_model_dir(model), device)
        if stream:
            from toolkit.aec.streaming import OnnxAecStreamer
            from toolkit.models.aec_onnx import export_step

            onnx_path = Path(tempfile.mkdtemp(prefix="sptk-aec-")) / "step.onnx"
            export_step(net.cpu(), onnx_path)
            streamer = OnnxAecStreamer(onnx_path)
    for k in todo:
        mic, far, dst = items[k].path, fars[k], outs[k]
        with Progress(f"cancel-echo {mic.name}", 0, "samples") as bar:
            info = cancel_echo_file(mic, far, dst, net, device, streamer, progress=bar.update)
        note = " (far end silent: passed through)" if info["passed_through"] else ""
        typer.echo(f"{mic} -> {dst}: {info['seconds']:.1f} s in {bar.elapsed:.1f} s{note}")


def export_onnx(
    model: Path = MODEL,
    out: Path = typer.Option(..., "--out", "-o", help="ONNX file to write."),
    check: bool = typer.Option(True, "--check/--no-check", help="Compare with PyTorch on "
                               "random frames through onnxruntime."),
) -> None:
    """Export the streaming step (one 10-ms frame, state in/out; framing in its metadata)."""
    from toolkit.aec.infer import load_aec_model
    from toolkit.models.aec_onnx import check_onnx, export_step

    net = load_aec_model(_model_dir(model))
    export_step(net, out)
    if check:
        err = check_onnx(net, out)
        typer.echo(f"{out}: onnxruntime matches PyTorch over 200 frames (max abs diff {err:.2e})")


def register(main: typer.Typer) -> None:
    """Add ``cancel-echo``, ``export-onnx`` and the ``aec`` group to the main app."""
    main.command("cancel-echo")(cancel_echo)
    main.command("export-onnx")(export_onnx)
    main.add_typer(aec_group.app, name="aec")
