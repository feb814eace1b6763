"""The ``bhyve-argv`` native format: domain XML <-> the bhyve (and loader) command lines, as
libvirt 9.0's bhyve driver writes and reads them (bhyve_command.c, bhyve_parse_command.c)."""

from virt_bhyve.argv.environment import DRY_RUN, Environment
from virt_bhyve.argv.reader import from_native
from virt_bhyve.argv.writer import Commands, build_commands, to_native

__all__ = ["DRY_RUN", "Commands", "Environment", "build_commands", "from_native", "to_native"]
