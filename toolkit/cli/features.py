"""``sptk-cli features``: precompute frame features for a data directory (stage 2)."""

from __future__ import annotations

from pathlib import Path

import typer

from toolkit.cli.app import App

app = App(help="Extract frame-level features into a data directory (feats.scp).")


@app.command()
def extract(
    config: Path = typer.Option(..., "--config", "-c", help="YAML with a features: section."),
    data: Path = typer.Option(..., "--data", "-d", help="Input data directory (wav.scp)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output data directory."),
    shard: str = typer.Option(None, "--shard", help="Only shard J/N of the keys."),
    overrides: list[str] = typer.Option(None, "--set", help="Override: --set features.n_mels=64"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo a finished output."),
) -> None:
    """Write OUT/feats/<key>.npy ((frames, dim) float32) and a data dir with feats.scp."""
    from toolkit.config import apply_overrides, from_dict, read_config
    from toolkit.dsp.features import FeatureConfig, extract_datadir
    from toolkit.fsutil import skip_if_done

    if skip_if_done(out, overwrite):
        return
    section = apply_overrides(read_config(config), overrides).get("features")
    conf = from_dict(FeatureConfig, section, "features")
    extract_datadir(data, out, conf, shard)
