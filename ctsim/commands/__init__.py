"""The ``ctsim`` subcommands, one module each.

Every module exposes ``register(commands)``: it adds its parser to the
subparsers and sets ``handler=`` (a function of ``(args, console)`` returning
the exit code) with ``set_defaults``. ``ctsim.cli`` lists the modules in
``COMMAND_MODULES``; adding a command means adding a module and one name there.
"""
