"""``sptk-cli config``: print the default configuration of a task and model."""

from __future__ import annotations

import typer

from toolkit.cli.app import App

app = App(help="Show default configurations.")


@app.command()
def show(
    task: str = typer.Argument(..., help="Task name."),
    model: str = typer.Argument(None, help="Model name (default: the task's default model)."),
) -> None:
    """Print the full default config (YAML) of TASK with MODEL: a starting point to edit."""
    import dataclasses

    from toolkit.config import dump_yaml, to_dict
    from toolkit.registry import get_task, list_models, model_class

    t = get_task(task)
    cfg = t.config_class()
    if model is not None:
        cls = model_class(task, model)
        cfg.model.name = model
        cfg.model.conf = to_dict(cls.Conf())
    elif cfg.model.name:
        cfg.model.conf = {**to_dict(model_class(task, cfg.model.name).Conf()), **cfg.model.conf}
    typer.echo(f"# sptk-cli config show {task} {cfg.model.name}")
    typer.echo(f"# models for {task}: {', '.join(n for _, n in list_models(task))}")
    assert dataclasses.is_dataclass(cfg)
    typer.echo(dump_yaml(cfg), nl=False)
