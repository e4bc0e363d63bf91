"""The Typer application class shared by every command group.

:class:`App` turns :class:`~toolkit.errors.UserError` (and OS errors about
files) into one ``error: ...`` line on stderr with a non-zero exit status.
Anything else is a bug: one line pointing at ``--debug``, or the full traceback
when ``sptk-cli --debug`` was given.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from toolkit.errors import UserError

DEBUG = {"enabled": False}


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


class App(typer.Typer):
    """Typer app with one-line errors for bad input."""

    def __init__(self, **kwargs: Any):
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
        try:
            code = typer.main.get_command(self).main(*args, **kwargs)
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
