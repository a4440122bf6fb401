"""The ``ctsim`` subcommands, one module each.

Every module exposes ``register(commands)``: it adds its parser to the
subparsers and sets ``handler=`` (a function of ``(args, console)`` returning
the exit code) with ``set_defaults``. ``ctsim.cli`` lists the modules in
``COMMAND_MODULES``; adding a command means adding a module and one name there.
"""

import argparse


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (argparse turns the error into exit 2 with usage)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number. Got {text!r} instead.") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1. Got {value} instead.")
    return value
