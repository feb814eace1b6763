"""Reading a host from a node description, libvirt's test-driver format::

    <node>
      <cpu><nodes/><sockets/><cores/><threads/><active/><mhz/><model/></cpu>
      <memory>KiB</memory>
      <domain .../> or <domain file='relative/or/absolute.xml'/>   (also network, interface, pool)
      <pool ...><volume .../></pool>
      <auth><user password='...'>name</user></auth>
    </node>

lxml handles the ``<node>`` wrapper only; each object element goes to its virt.xml model.
Errors name the file, the line and the element.
"""

from __future__ import annotations

import copy
import re
from importlib import resources
from pathlib import Path
from typing import TypeVar

import attrs
from lxml import etree

from virt.drivers.test import domains, interfaces, networks, nodedevices, storage
from virt.drivers.test.host import DEFAULT_NODE_INFO, Host
from virt.errors import ErrorNumber, VirtError, XMLError
from virt.info import NodeInfo
from virt.states import DomainState, RunningReason

TEST_NS = "http://libvirt.org/schemas/domain/test/1.0"
"""libvirt's test-driver namespace: ``<test:runstate>``, ``<test:transient/>``, ``<test:hasmanagedsave/>``."""

_LONG = re.compile(r"\s*[+-]?\d+")
M = TypeVar("M")


def load_file(path: str) -> Host:
    """The host described by the node file at ``path`` (absolute)."""
    source = Path(path)
    root = _parse_file(source, "node")
    return _Loader(str(source), source.parent).load(root)


def load_default() -> Host:
    """The host ``test:///default`` serves, from the node description shipped with the driver."""
    data = resources.files("virt.drivers.test").joinpath("data", "default.xml").read_bytes()
    root = _parse_bytes(data, "(test driver)", "node")
    host = _Loader("(test driver)", None).load(root)
    host.numa = True
    return host


def _parse_bytes(data: bytes, source: str, expected: str) -> etree._Element:
    from virt.xml.base import parse_document

    try:
        root = parse_document(data)
    except VirtError as exc:
        raise XMLError(f"XML error: {source}: {exc.message}") from None
    if root.tag != expected:
        raise XMLError(f"XML error: {source}: expecting root element of '{expected}', not '{root.tag}'")
    return root


def _parse_file(path: Path, expected: str) -> etree._Element:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise XMLError(f"XML error: failed to parse xml document '{path}': {exc.strerror or exc}") from None
    return _parse_bytes(data, str(path), expected)


class _Loader:
    def __init__(self, source: str, directory: Path | None) -> None:
        self.source = source
        self.directory = directory

    # -- error reporting ----------------------------------------------------------------------------
    def _where(self, el: etree._Element) -> str:
        return f"{self.source}:{el.sourceline}: {el.getroottree().getpath(el)}"

    def _fail(self, el: etree._Element, detail: str) -> XMLError:
        return XMLError(f"XML error: {detail} ({self._where(el)})")

    def _located(self, el: etree._Element, exc: VirtError) -> VirtError:
        """``exc`` again, with the place in the node file added."""
        return type(exc)(f"{exc.message} ({self._where(el)})", exc.code, exc.domain)

    # -- the document -----------------------------------------------------------------------------
    def load(self, root: etree._Element) -> Host:
        host = Host(node_info=self._node_info(root))
        for el in root.findall("domain"):
            self._guarded(el, lambda el=el: self._domain(host, el))
        for el in root.findall("network"):
            self._guarded(el, lambda el=el: self._network(host, el))
        for el in root.findall("interface"):
            self._guarded(el, lambda el=el: self._interface(host, el))
        for el in root.findall("pool"):
            self._guarded(el, lambda el=el: self._pool(host, el))
        for el in root.findall("device"):
            self._guarded(el, lambda el=el: self._device(host, el))
        self._users(host, root)
        return host

    def _guarded(self, el: etree._Element, action: object) -> None:
        try:
            action()  # type: ignore[operator]
        except VirtError as exc:
            if self.source in exc.message:
                raise
            raise self._located(el, exc) from None

    def _resolve(self, el: etree._Element, kind: str) -> etree._Element:
        """The element itself, or the root of the file its ``file`` attribute names (a copy either way)."""
        name = el.get("file")
        if name is None:
            return copy.deepcopy(el)
        if self.directory is None:
            raise self._fail(el, "the default host cannot refer to files")
        return _parse_file(self.directory / name, kind)

    def _model(self, cls: type[M], el: etree._Element) -> M:
        return cls.from_element(el)  # type: ignore[attr-defined, no-any-return]

    # -- <cpu> and <memory> -----------------------------------------------------------------------
    def _number(self, root: etree._Element, path: str, what: str) -> int | None:
        el = root.find(path)
        text = (el.text or "") if el is not None else ""
        if el is None or not text:
            return None  # like libvirt, an absent or empty value keeps the default
        if not _LONG.fullmatch(text.rstrip()) or text != text.rstrip():
            raise self._fail(el, f"invalid node {what} value '{text}'")
        return int(text)

    def _node_info(self, root: etree._Element) -> NodeInfo:
        info = DEFAULT_NODE_INFO
        changes: dict[str, object] = {}
        for field in ("nodes", "sockets", "cores", "threads"):
            value = self._number(root, f"cpu/{field}", f"cpu {field}")
            if value is not None:
                changes[field] = value
        info = attrs.evolve(info, **changes)  # type: ignore[arg-type]
        cpus = info.nodes * info.sockets * info.cores * info.threads
        active = self._number(root, "cpu/active", "cpu active")
        if active is not None and active < cpus:
            cpus = active
        changes = {"cpus": cpus}
        mhz = self._number(root, "cpu/mhz", "cpu mhz")
        if mhz is not None:
            changes["mhz"] = mhz
        model = root.find("cpu/model")
        if model is not None and model.text:
            changes["model"] = model.text
        memory = self._number(root, "memory", "memory")
        if memory is not None:
            changes["memory_kib"] = memory
        return attrs.evolve(info, **changes)  # type: ignore[arg-type]

    # -- objects ----------------------------------------------------------------------------------
    def _domain(self, host: Host, node_el: etree._Element) -> None:
        from virt.xml import Domain

        el = self._resolve(node_el, "domain")
        runstate, transient, managed_save = self._test_namespace(el)
        definition = domains.prepare(self._model(Domain, el))
        obj = domains.add(host, definition, live=False)
        if runstate == DomainState.SHUTOFF:
            obj.state, obj.reason = DomainState.SHUTOFF, 0
        else:
            # The live definition parsed anew rather than copied: the formatter is not needed yet.
            live = self._model(Domain, el)
            live.uuid = definition.uuid
            domains.start(host, obj, RunningReason.BOOTED, domains.prepare(live))
            # libvirt then forces the state it read, with reason "unknown"
            obj.state, obj.reason = runstate, 0
        if transient:
            obj.config = None
        obj.managed_save = managed_save

    def _test_namespace(self, el: etree._Element) -> tuple[DomainState, bool, bool]:
        """Take libvirt's ``test:`` elements out of a domain; they are the loader's, not the model's."""
        runstate_el = el.find(f"{{{TEST_NS}}}runstate")
        transient = el.find(f"{{{TEST_NS}}}transient") is not None
        managed_save = el.find(f"{{{TEST_NS}}}hasmanagedsave") is not None
        runstate = DomainState.RUNNING
        if runstate_el is not None:
            text = (runstate_el.text or "").strip()
            if not text.isdigit():
                raise self._fail(runstate_el, "invalid runstate")
            if int(text) >= len(DomainState):
                raise self._fail(runstate_el, f"runstate '{text}' out of range'")
            runstate = DomainState(int(text))
        if transient and runstate == DomainState.SHUTOFF:
            raise self._fail(el, "transient domain cannot have runstate 'shutoff'")
        if managed_save and runstate != DomainState.SHUTOFF:
            raise self._fail(el, "domain with managedsave data can only have runstate 'shutoff'")
        for sub in list(el):
            if isinstance(sub.tag, str) and sub.tag.startswith(f"{{{TEST_NS}}}"):
                el.remove(sub)
        return runstate, transient, managed_save

    def _network(self, host: Host, node_el: etree._Element) -> None:
        from virt.xml import Network

        el = self._resolve(node_el, "network")
        obj = networks.add(host, networks.prepare(self._model(Network, el)), live=False)
        obj.active = True

    def _interface(self, host: Host, node_el: etree._Element) -> None:
        from virt.xml.hostinterface import HostInterface

        el = self._resolve(node_el, "interface")
        interfaces.add(host, HostInterface.from_element(el)).active = True

    def _device(self, host: Host, node_el: etree._Element) -> None:
        device = nodedevices.from_element(self._resolve(node_el, "device"))
        host.node_devices[device.name] = device

    def _pool(self, host: Host, node_el: etree._Element) -> None:
        from virt.xml import StoragePool, StorageVolume

        el = self._resolve(node_el, "pool")
        # The volumes belong to the node format, not to the pool's own XML.
        volume_els = node_el.findall("volume")
        for sub in el.findall("volume"):
            el.remove(sub)
        obj = storage.add_pool(host, storage.prepare_pool(self._model(StoragePool, el)), live=False)
        obj.active = True
        for volume_node in volume_els:
            try:
                volume_el = self._resolve(volume_node, "volume")
                storage.add_volume(obj, self._model(StorageVolume, volume_el), loading=True)
            except VirtError as exc:
                if self.source in exc.message:
                    raise
                raise self._located(volume_node, exc) from None

    def _users(self, host: Host, root: etree._Element) -> None:
        for el in root.findall("auth/user"):
            name = el.text or ""
            if not name:
                raise XMLError(
                    f"XML error: missing username in /node/auth/user field ({self._where(el)})", ErrorNumber.XML_ERROR
                )
            host.users[name] = el.get("password")
