"""The Typer application class shared by every command group.

:class:`App` turns :class:`~toolkit.errors.UserError` (and OS errors about
files) into one ``error: ...`` line on stderr with a non-zero exit status.
Anything else is a bug: one line pointing at ``--debug``, or the full traceback
when ``sptk-cli --debug`` was given.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import typer

from toolkit.errors import UserError

DEBUG = {"enabled": False}
#: set by App when the command line asks for --help (the root callback then logs nothing)
HELP = {"requested": False}
#: options of the root command that may also be written after the subcommand
GLOBAL_FLAGS = re.compile(r"^(-q|--quiet|--debug|--verbose|-v+)$")
HELP_FLAGS = ("--help", "-h")


def asks_for_help(args: list[str]) -> bool:
    """True when ``--help``/``-h`` comes before any ``--`` in ``args``."""
    for arg in args:
        if arg == "--":
            return False
        if arg in HELP_FLAGS:
            return True
    return False


def _own_flags(command: Any) -> set[str]:
    return {o for p in getattr(command, "params", []) for o in (*p.opts, *p.secondary_opts)}


def hoist_global_flags(root: Any, args: list[str]) -> list[str]:
    """Move ``-q``/``-v``/``--debug`` written after the subcommand in front of it.

    Flags that a subcommand defines itself stay where they are, and nothing after
    ``--`` or after a command that stops option parsing (``run``) moves.

    Args:
        root: the click group of the application.
        args: the command line after the program name.

    Returns:
        The arguments with the global flags first.
    """
    command, own, moved, kept = root, set(), [], []
    for i, arg in enumerate(args):
        if arg == "--":
            return moved + kept + args[i:]
        sub = getattr(command, "commands", {}).get(arg) if not arg.startswith("-") else None
        if sub is not None:
            command = sub
            own |= _own_flags(sub)
            if sub.context_settings.get("allow_interspersed_args") is False:
                return moved + kept + args[i:]
        if command is not root and GLOBAL_FLAGS.match(arg) and arg not in own:
            moved.append(arg)
        else:
            kept.append(arg)
    return moved + kept


def fail(message: str) -> None:
    """Stop the command with one error line (exit status 2)."""
    raise UserError(message)


def os_error_line(e: OSError) -> str:
    """One line for an OS error that reached the boundary (a file named when known)."""
    import errno

    name = getattr(e, "filename", None)
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left on device while writing {name}" if name else \
            "no space left on device; free some space and rerun"
    if e.errno == errno.EROFS and name:
        return f"cannot write {name}: read-only file system; choose another output folder"
    if e.errno == errno.ELOOP and name:
        return f"{name}: too many levels of symbolic links (a symlink loop)"
    where = f": {name}" if name else ""
    return f"{e.strerror or e}{where}"


def _print_error(message: str, code: int) -> int:
    first = " ".join(str(message).split("\n")[0].split()) if message else "failed"
    print(f"error: {first}", file=sys.stderr)
    return code


def _flag(param: Any) -> Any:
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        param.metavar = ""
        param.show_default = False
    return param


def show_flags_as_flags(command: Any) -> None:
    """Drop the ``<bool>`` type typer shows beside on/off and counting options, recursively."""
    for param in getattr(command, "params", []):
        _flag(param)
    help_option = command.get_help_option
    command.get_help_option = lambda ctx: _flag(help_option(ctx))
    for sub in getattr(command, "commands", {}).values():
        show_flags_as_flags(sub)


class App(typer.Typer):
    """Typer app with one-line errors for bad input.

    Args:
        hoist_global_flags: the root application: accept its ``-q``/``-v``/``--debug``
            after the subcommand too (see :func:`hoist_global_flags`).
        panel_order: ``--help`` panel titles in the order to show them.
    """

    def __init__(self, hoist_global_options: bool = False,
                 panel_order: tuple[str, ...] = (), **kwargs: Any):
        self.hoist_global_options = hoist_global_options
        self.panel_order = panel_order
        kwargs.setdefault("no_args_is_help", True)
        kwargs.setdefault("pretty_exceptions_enable", False)
        kwargs.setdefault("context_settings", {"help_option_names": ["-h", "--help"]})
        super().__init__(**kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:  # typer >= 0.20 vendors click
            from typer._click import exceptions as cx
        except ImportError:  # pragma: no cover - older typer depends on click
            from click import exceptions as cx

        kwargs["standalone_mode"] = False  # usage errors come back here, not to click's box
        command = typer.main.get_command(self)
        if self.panel_order and hasattr(command, "commands"):
            rank = {p: i for i, p in enumerate(self.panel_order)}
            order = sorted(command.commands.items(), key=lambda kv: rank.get(
                getattr(kv[1], "rich_help_panel", None), len(rank)))
            command.commands = dict(order)
        show_flags_as_flags(command)
        if self.hoist_global_options and not args and "args" not in kwargs:
            kwargs["args"] = hoist_global_flags(command, sys.argv[1:])
        HELP["requested"] = asks_for_help(kwargs.get("args", args[0] if args else sys.argv[1:]))
        try:
            code = command.main(*args, **kwargs)
        except cx.UsageError as e:
            if type(e).__name__ == "NoArgsIsHelpError":
                e.show()  # a group called without a command: its help
                sys.exit(e.exit_code)
            where = f"; see '{e.ctx.command_path} --help'" if e.ctx else ""
            sys.exit(_print_error(f"{e.format_message().rstrip('.')}{where}", 2))
        except (typer.Abort, KeyboardInterrupt):
            sys.exit(_print_error("interrupted", 130))
        except cx.ClickException as e:
            sys.exit(_print_error(e.format_message(), e.exit_code))
        except UserError as e:
            if DEBUG["enabled"]:
                raise
            sys.exit(_print_error(str(e), e.exit_code))
        except OSError as e:
            if DEBUG["enabled"]:
                raise
            sys.exit(_print_error(os_error_line(e), 2))
        except Exception as e:  # a bug: keep the traceback behind --debug
            if DEBUG["enabled"]:
                raise
            msg = f"internal error {type(e).__name__}: {e} (rerun with --debug for the traceback)"
            sys.exit(_print_error(msg, 1))
        sys.exit(code if isinstance(code, int) else 0)
