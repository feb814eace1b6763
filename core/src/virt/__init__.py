"""virt: manage virtual machines and containers on many hypervisors through one API.

``virt.open(uri)`` returns a Connection; drivers come from plugins (``virt.hookimpl``).
"""

from virt.connection import Connection, Domain, Network, StateInfo, StoragePool, StorageVolume, open
from virt.errors import VirtError
from virt.hookspecs import hookimpl
from virt.interfaces import Interface
from virt.states import DomainState

__version__ = "0.2.0"

__all__ = [
    "Connection",
    "Domain",
    "DomainState",
    "Interface",
    "Network",
    "StateInfo",
    "StoragePool",
    "StorageVolume",
    "VirtError",
    "__version__",
    "hookimpl",
    "open",
]
