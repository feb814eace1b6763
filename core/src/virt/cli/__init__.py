"""The ``virt`` command line: a virsh work-alike whose commands come from plugins.

Plugins add commands with the ``register_commands`` hook (see ``virt.cli.registry``); the
built-in ones live in ``virt.cli.commands`` and are registered by ``virt.cli.builtin``.
"""
