"""The handlers of the REMOTE program's procedures, one module per family of calls.

Importing a family module registers its handlers (``registry.handles``); :func:`handlers` imports
them all and returns the table the dispatcher serves from. A procedure without a handler is an
unknown procedure to clients, which then fall back as they do with an older libvirtd.
"""

from __future__ import annotations

from .registry import HANDLERS, Handler


def handlers() -> dict[int, Handler]:
    """Every procedure number virtd serves, with its handler."""
    # importing registers them
    from . import (  # noqa: F401
        blockjobs,
        changes,
        checkpoints,
        connect,
        control,
        cpubaseline,
        devices,
        domaincalls,
        domains,
        events,
        guestagent,
        guestops,
        hostcalls,
        hostfacts,
        interfaces,
        iothreads,
        migration,
        networkflags,
        networkports,  # network ports
        networks,
        nodedevices,
        nwfilters,
        objectevents,
        rename,
        saving,
        scheduler,
        secrets,
        snapshots,
        stats,
        storage,
        streams,
        tunables,
    )

    return HANDLERS


__all__ = ["Handler", "handlers"]
