"""Network ports (libvirt's virNetworkPort): what the network hands out for each guest interface on it.

A port lives only while its network runs (libvirt keeps them in its run folder and forgets them when
the network stops); each is written to ``run_dir/ports/NETWORK/UUID.xml`` so that the next owner of
the folders adopts them with the running network. Creating a port fills its plug from the network
(its bridge), as libvirt's networkAllocatePort does for the bridged forward modes; a port whose plug
is already given is refused unless the caller reclaims it (a guest reconnected after a restart).
"""

from __future__ import annotations

import logging
import shutil
import uuid
from typing import TYPE_CHECKING

from virt.errors import ErrorDomain, ErrorNumber, NotFound, VirtError, XMLError
from virt.localstate.files import atomic_write, remove
from virt.networks import errors
from virt.xml.networkport import BandwidthRate, NetworkPort, PlugType

if TYPE_CHECKING:
    from pathlib import Path

    from virt.xml import Network

log = logging.getLogger(__name__)

CREATE_RECLAIM = 1 << 0  # virNetworkPortCreateFlags
CREATE_VALIDATE = 1 << 1

# virNetworkPort{Get,Set}Parameters' typed parameter names (VIR_NETWORK_PORT_BANDWIDTH_*)
IN_AVERAGE, IN_PEAK, IN_FLOOR, IN_BURST = "inbound.average", "inbound.peak", "inbound.floor", "inbound.burst"
OUT_AVERAGE, OUT_PEAK, OUT_BURST = "outbound.average", "outbound.peak", "outbound.burst"
PARAMETERS = {
    IN_AVERAGE: ("inbound", "average"),
    IN_PEAK: ("inbound", "peak"),
    IN_FLOOR: ("inbound", "floor"),
    IN_BURST: ("inbound", "burst"),
    OUT_AVERAGE: ("outbound", "average"),
    OUT_PEAK: ("outbound", "peak"),
    OUT_BURST: ("outbound", "burst"),
}


def no_port(key: uuid.UUID) -> VirtError:
    detail = f"Network port with UUID {key} does not exist"
    return NotFound(f"network port not found: {detail}", ErrorNumber.NO_NETWORK_PORT, ErrorDomain.NETWORK)


def port_exists(key: uuid.UUID) -> VirtError:
    # libvirt's "network port %s exists already" around its own sentence, words doubled and all
    detail = f"Network port with UUID {key} already exists"
    return VirtError(f"network port {detail} exists already", ErrorNumber.NETWORK_PORT_EXIST, ErrorDomain.NETWORK)


class PortTable:
    """The ports of one running network, by UUID, mirrored in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ports: dict[uuid.UUID, NetworkPort] = {}

    def load(self) -> None:
        """The ports a previous owner left for this (still running) network."""
        for path in sorted(self.folder.glob("*.xml")) if self.folder.is_dir() else []:
            try:
                port = NetworkPort.from_xml(path.read_bytes())
            except (OSError, XMLError, VirtError) as exc:
                log.error("skipping network port %s: %s", path, exc)
                continue
            self.ports[port.uuid] = port

    def find(self, key: uuid.UUID) -> NetworkPort:
        port = self.ports.get(key)
        if port is None:
            raise no_port(key)
        return port

    def add(self, live: Network, port: NetworkPort, flags: int) -> NetworkPort:
        if port.uuid in self.ports:
            raise port_exists(port.uuid)
        if flags & CREATE_RECLAIM:
            if port.plug_type is PlugType.NONE:
                _plug(live, port)
        else:
            if port.plug_type is not PlugType.NONE:
                raise errors.error(ErrorNumber.INVALID_ARG, "Port reclaim not requested but plug type is not none")
            _plug(live, port)
        _check_floor(live, port)
        self._save(port)
        self.ports[port.uuid] = port
        return port

    def delete(self, key: uuid.UUID) -> NetworkPort:
        port = self.find(key)
        remove(self._file(key), durable=False)
        del self.ports[key]
        return port

    def parameters(self, key: uuid.UUID) -> dict[str, int]:
        """virNetworkPortGetParameters: the port's bandwidth, inbound then outbound (when set)."""
        bandwidth = self.find(key).bandwidth
        found: dict[str, int] = {}
        if bandwidth is not None and bandwidth.inbound is not None:
            rate = bandwidth.inbound
            found |= {IN_AVERAGE: rate.average, IN_PEAK: rate.peak, IN_FLOOR: rate.floor, IN_BURST: rate.burst}
        if bandwidth is not None and bandwidth.outbound is not None:
            rate = bandwidth.outbound
            found |= {OUT_AVERAGE: rate.average, OUT_PEAK: rate.peak, OUT_BURST: rate.burst}
        return found

    def set_parameters(self, live: Network, key: uuid.UUID, params: dict[str, int]) -> None:
        """virNetworkPortSetParameters: the port's bandwidth becomes what ``params`` give (a direction
        without an average, or inbound without a floor either, is dropped, as libvirt does); the
        guest's tap keeps its own shaping, applied by the hypervisor driver as in libvirt."""
        from virt.xml.networkport import Bandwidth

        port = self.find(key)
        bandwidth = Bandwidth(inbound=BandwidthRate(), outbound=BandwidthRate())
        for name, value in params.items():
            where = PARAMETERS.get(name)
            if where is None:
                raise errors.error(ErrorNumber.INVALID_ARG, f"parameter '{name}' not supported")
            direction, field = where
            setattr(getattr(bandwidth, direction), field, int(value))
        if bandwidth.inbound is not None and not bandwidth.inbound.average and not bandwidth.inbound.floor:
            bandwidth.inbound = None
        if bandwidth.outbound is not None and not bandwidth.outbound.average:
            bandwidth.outbound = None
        changed = port.clone()
        changed.bandwidth = None if bandwidth.empty else bandwidth
        _check_floor(live, changed)
        self._save(changed)
        self.ports[key] = changed

    def clear(self) -> None:
        """Forget every port: the network stopped."""
        self.ports.clear()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _file(self, key: uuid.UUID) -> Path:
        return self.folder / f"{key}.xml"

    def _save(self, port: NetworkPort) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o755)
        atomic_write(self._file(port.uuid), port.to_xml(), 0o600, durable=False)


def _plug(live: Network, port: NetworkPort) -> None:
    """networkAllocatePort's plug for the network's forward mode."""
    mode = live.forward.mode if live.forward is not None else None
    bridge = live.bridge.name if live.bridge is not None else None
    if live.has_managed_bridge:
        port.plug_type = PlugType.NETWORK
        port.plug_bridge = bridge
    elif mode == "bridge" and bridge:
        port.plug_type = PlugType.BRIDGE
        port.plug_bridge = bridge
    else:
        raise errors.error(
            ErrorNumber.CONFIG_UNSUPPORTED,
            f"unsupported network forward mode '{mode}' for network ports of network '{live.name}'",
        )
    if live.bridge is not None and live.bridge.mac_table_manager is not None:
        port.plug_mac_table_manager = live.bridge.mac_table_manager


def _check_floor(live: Network, port: NetworkPort) -> None:
    """networkCheckBandwidth: a floor needs the network's inbound QoS."""
    bandwidth = port.bandwidth
    if bandwidth is None or bandwidth.inbound is None or not bandwidth.inbound.floor:
        return
    network_bw = live.bandwidth
    if network_bw is None or network_bw.find("inbound") is None:
        raise errors.error(
            ErrorNumber.OPERATION_UNSUPPORTED,
            f"Invalid use of 'floor' on interface with MAC address {port.mac} - "
            f"network '{live.name}' has no inbound QoS set",
        )
