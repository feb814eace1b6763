"""``WorkstationConnection``: VMware Workstation, Player and Fusion on this host
(``vmwarews:///session``, ``vmwareplayer:///session``, ``vmwarefusion:///session``), driven through
``vmrun`` as libvirt's vmware driver drives them.

Like libvirt, a connection holds its domains in memory: on opening, the VMs ``vmrun list`` names
(running, their id the pid in ``vmware.log``) read from their .vmx files; each state read runs
``vmrun list`` again. Unlike libvirt, the .vmx files of the VMs defined here are also kept, in
``known-TYPE.json`` in the driver's state folder (``$XDG_CONFIG_HOME/virt/vmware``, or
``$VIRT_VMWARE_ROOT/state``), so a stopped VM is still listed by the next connection (libvirt
forgets it), and so is a pause (vmrun cannot tell a paused VM from a running one).
Destroy powers off (``vmrun stop X hard``) where libvirt's asks the guest (``soft``), which fails
without VMware Tools in the guest.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import uuid as uuid_module
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from virt.driver import DomainRef, DriverConnection
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError, libvirt_error
from virt.info import DomainInfo, DomainRecord
from virt.localstate import files, layout
from virt.states import DomainState, PausedReason, RunningReason, ShutdownMode, ShutoffReason

from virt_esx import vmrun
from virt_esx.vmrun import error

if TYPE_CHECKING:
    from virt.info import DomainFilter
    from virt.uri import URI
    from virt.xml import Domain

    from virt_esx.vmx import Context

log = logging.getLogger(__name__)

VIRTUAL_HW_VERSION = 7  # what libvirt's vmware driver writes into every .vmx it defines
VMX_SIZE_LIMIT = 10000  # libvirt refuses to read a larger .vmx


def _same_path(name: str, allow_missing: bool = False) -> str | None:
    """File names in a Workstation .vmx are host paths: kept as they are (libvirt's vmwareCopyVMXFileName)."""
    return name


def _context() -> Context:
    from virt_esx.vmx import Context

    return Context(parse_file_name=_same_path, format_file_name=lambda path: path)


def _no_flags(flags: int, function: str) -> None:
    """virCheckFlags(0): the vmware driver takes no flags (shutdown and reboot modes are flags)."""
    if flags:
        # virCheckFlags' message has no "invalid argument" prefix
        message = f"unsupported flags (0x{flags:x}) in function {function}"
        raise InvalidArgument(message, ErrorNumber.INVALID_ARG, ErrorDomain.VMWARE)


def no_domain(detail: str | None = None) -> VirtError:
    return libvirt_error(ErrorNumber.NO_DOMAIN, detail, ErrorDomain.VMWARE)


@attrs.define
class VmEntry:
    """One domain of the connection: its definition, its .vmx, and what the connection knows of its state."""

    definition: Domain
    vmx_path: str
    state: DomainState = DomainState.SHUTOFF
    reason: int = 0
    id: int = -1
    persistent: bool = True
    gui: bool = True

    @property
    def active(self) -> bool:
        return self.id != -1

    def ref(self) -> DomainRef:
        assert self.definition.name is not None and self.definition.uuid is not None
        return DomainRef(self.definition.name, self.definition.uuid, self.id)


def wants_gui(definition: Domain) -> bool:
    """libvirt starts a VM in a window unless it has graphics and none of them is the desktop."""
    graphics = definition.devices.graphics if definition.devices is not None else []
    return not graphics or any(g.type == "desktop" for g in graphics)


def parsed_vmx(data: str | bytes) -> Domain:
    """The domain of a .vmx as libvirt's vmware driver holds it: the converter's, then what
    libvirt's parser adds after converting (an HVM guest without boot devices boots from disk)."""
    from virt.xml.base import build
    from virt.xml.domain import BootDevice

    from virt_esx.vmx import from_native

    domain = from_native(data, context=_context())
    os_ = domain.os
    hvm = os_ is not None and os_.type is not None and os_.type.name == "hvm"
    if hvm and os_ is not None and not os_.boot and "<boot order=" not in domain.to_xml():
        os_.boot.append(build(BootDevice, dev="hd"))
    return domain


def read_vmx(path: str) -> Domain:
    """The domain a .vmx describes; a VirtError naming the file (and the reader's the line)."""
    try:
        with open(path, "rb") as f:
            data = f.read(VMX_SIZE_LIMIT + 1)
    except OSError as exc:
        raise libvirt_error(
            ErrorNumber.SYSTEM_ERROR, f"Failed to open file '{path}': {exc.strerror}", ErrorDomain.VMWARE
        ) from None
    if len(data) > VMX_SIZE_LIMIT:
        raise error(f"File '{path}' is too large (more than {VMX_SIZE_LIMIT} bytes)")
    try:
        return parsed_vmx(data)
    except VirtError as exc:
        where = entry_line(data, exc.message)
        raise type(exc)(f"{exc.message} (in {path}{where})", exc.code, exc.domain) from None


def entry_line(data: bytes, message: str) -> str:
    """``, line N`` for the entry a converter error names (``Config entry 'memsize' must...``): the
    reader names the line of a syntax error, the entry of a value it refuses."""
    named = re.search(r"(?:entry|key) '([^']+)'", message)
    if named is None or "line " in message:
        return ""
    key = named.group(1).lower()
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if line.partition("=")[0].strip().lower() == key:
            return f", line {number}"
    return ""


def vmx_path_for(definition: Domain) -> str:
    """Where define writes the .vmx: beside the first file-based hard disk, named after the domain."""
    disks = definition.devices.disks if definition.devices is not None else []
    if not disks:
        raise error("Domain XML doesn't contain any disks, cannot deduce datastore and path for VMX file")
    disk = next((d for d in disks if (d.device or "disk") == "disk" and (d.type or "file") == "file"), None)
    if disk is None:
        raise error(
            "Domain XML doesn't contain any file-based harddisks, cannot deduce datastore and path for VMX file"
        )
    source = disk.source.file if disk.source is not None else None
    if not source:
        raise error("First file-based harddisk has no source, cannot deduce datastore and path for VMX file")
    folder, _, file_name = source.rpartition("/")
    if not file_name:
        raise error(f"path '{source}' doesn't reference a file")
    if not file_name.endswith(".vmdk"):
        raise error(f"Expecting source '{source}' of first file-based harddisk to be a VMDK image")
    if not source.startswith("/"):
        # libvirt would write the .vmx relative to its working folder; vmrun takes absolute paths only
        raise error(f"Expecting source '{source}' of first file-based harddisk to be an absolute path")
    return f"{folder}/{definition.name}.vmx"


class KnownVms:
    """The .vmx files defined through virt, and which VMs it paused: ``known-TYPE.json`` in the state folder."""

    def __init__(self, host_type: str) -> None:
        root = layout.root_override("vmware")
        state = layout.under_root(root).state if root is not None else layout.session_dirs("vmware").state
        self.file = state / f"known-{host_type}.json"

    def read(self) -> tuple[list[str], set[str]]:
        try:
            data = json.loads(self.file.read_text())
            return [str(p) for p in data.get("vmx", [])], {str(p) for p in data.get("paused", [])}
        except FileNotFoundError:
            return [], set()
        except (OSError, ValueError, AttributeError) as exc:
            raise error(f"cannot read the VMs virt keeps in '{self.file}': {exc}") from None

    def update(self, change: Callable[[list[str], set[str]], tuple[list[str], set[str]]]) -> None:
        """Read, ``change`` and write the file, holding its lock: connections of other processes
        (a virtd and the virt command) change it too."""
        self.file.parent.mkdir(parents=True, exist_ok=True)
        with files.holding(_KNOWN_LOCK, self.file.with_suffix(".lock")):
            vmx, paused = change(*self.read())
            text = json.dumps({"vmx": sorted(set(vmx)), "paused": sorted(paused)}, indent=1) + "\n"
            files.atomic_write(self.file, text, sync_folder=False)


_KNOWN_LOCK = threading.RLock()  # the threads of this process; the file lock orders the processes


class WorkstationConnection(DriverConnection):
    driver_name = "VMware"
    error_domain = ErrorDomain.VMWARE

    def __init__(self, uri: URI, *, readonly: bool = False) -> None:
        super().__init__(uri, readonly=readonly)
        if uri.path != "/session":
            raise error(
                f"unexpected VMware URI path '{uri.path or '(null)'}', try vmwareplayer:///session, "
                "vmwarews:///session or vmwarefusion:///session"
            )
        self.product = vmrun.PRODUCTS[uri.scheme]
        self.vmrun = vmrun.find_vmrun()
        self.version = vmrun.version(self.vmrun, self.product)
        self.known = KnownVms(self.product.host_type)
        self._lock = threading.RLock()
        self._vms: dict[uuid_module.UUID, VmEntry] = {}
        self._load()

    # -- the domains of the connection -------------------------------------------------------------
    def _load(self) -> None:
        kept, paused = self.known.read()
        running = self._running()
        for path in running:
            entry = self._add_loaded(path)
            entry.id = vmrun.extract_pid(path)
            entry.state, entry.reason = DomainState.RUNNING, RunningReason.UNKNOWN
            if path in paused:
                entry.state, entry.reason = DomainState.PAUSED, PausedReason.UNKNOWN
        for path in kept:
            if os.path.realpath(path) in running:
                continue
            if not Path(path).exists():
                log.warning("the VM %s virt kept is gone: its .vmx file is missing", path)
                continue
            self._add_loaded(path)

    def _add_loaded(self, path: str) -> VmEntry:
        definition = read_vmx(path)
        if definition.uuid is None:
            raise error(f"{path}: the VM has no BIOS UUID (uuid.bios), so it has no domain UUID")
        clash = self._by_name(definition.name or "")
        if clash is not None or definition.uuid in self._vms:
            other = (clash or self._vms[definition.uuid]).vmx_path
            raise error(f"{path}: the VM's name or UUID is also that of '{other}'")
        entry = VmEntry(definition, path, gui=wants_gui(definition))
        self._vms[definition.uuid] = entry
        return entry

    def _running(self) -> set[str]:
        return set(vmrun.running(self.vmrun, self.product))

    def _update(self, entry: VmEntry, running: set[str] | None = None) -> None:
        """libvirt's vmwareUpdateVMStatus: listed means running, or paused if it was; else shut off."""
        if running is None:
            running = self._running()
        if os.path.realpath(entry.vmx_path) in running:
            state = DomainState.PAUSED if entry.state == DomainState.PAUSED else DomainState.RUNNING
            if entry.id == -1:  # started elsewhere since
                entry.id = vmrun.extract_pid(entry.vmx_path)
        else:
            state = DomainState.SHUTOFF
            entry.id = -1
        entry.state, entry.reason = state, 0

    def _by_name(self, name: str) -> VmEntry | None:
        return next((e for e in self._vms.values() if e.definition.name == name), None)

    def _entry(self, ref: DomainRef) -> VmEntry:
        entry = self._vms.get(ref.uuid)
        if entry is None:
            raise no_domain(f"no domain with matching uuid '{ref.uuid}'")
        return entry

    def _keep(self) -> None:
        """Write the kept .vmx files and pause marks after a change; what other connections keep stays."""
        ours = {e.vmx_path for e in self._vms.values()}
        persistent = [e.vmx_path for e in self._vms.values() if e.persistent]
        paused_here = {e.vmx_path for e in self._vms.values() if e.state == DomainState.PAUSED}

        def change(kept: list[str], paused: set[str]) -> tuple[list[str], set[str]]:
            return [*(p for p in kept if p not in ours), *persistent], {
                p for p in paused if p not in ours
            } | paused_here

        self.known.update(change)

    def _vmrun(self, *args: str) -> None:
        vmrun.run([str(self.vmrun), "-T", self.product.host_type, *args])

    # -- host --------------------------------------------------------------------------------------
    def get_version(self) -> int:
        return self.version

    def domain_xml_from_native(self, native_format: str, native_config: str, flags: int) -> str:
        """The domain of a .vmx, its file names kept as they are (libvirt's vmware driver has no ToNative)."""
        _no_flags(flags, "vmwareConnectDomainXMLFromNative")
        if native_format != "vmware-vmx":
            raise libvirt_error(
                ErrorNumber.INVALID_ARG, f"Unsupported config format '{native_format}'", ErrorDomain.VMWARE
            )
        return parsed_vmx(native_config).to_xml()

    # -- listing and lookups -----------------------------------------------------------------------
    def list_domains(self, filter: DomainFilter) -> list[DomainRef]:
        with self._lock:
            # one vmrun list for the whole listing, as libvirt's for one VM (it runs one per VM), none without VMs
            running = self._running() if self._vms else set()
            refs = []
            for entry in self._vms.values():
                self._update(entry, running)
                facts = DomainRecord(
                    active=entry.active, persistent=entry.persistent, state=entry.state, autostart=False
                )
                if filter.matches(facts):
                    refs.append(entry.ref())
            return refs

    def lookup_domain_by_name(self, name: str) -> DomainRef:
        with self._lock:
            entry = self._by_name(name)
            if entry is None:
                raise no_domain(f"no domain with matching name '{name}'")
            return entry.ref()

    def lookup_domain_by_uuid(self, uuid: uuid_module.UUID) -> DomainRef:
        with self._lock:
            entry = self._vms.get(uuid)
            if entry is None:
                raise no_domain(f"no domain with matching uuid '{uuid}'")
            return entry.ref()

    def lookup_domain_by_id(self, id: int) -> DomainRef:
        with self._lock:
            entry = next((e for e in self._vms.values() if e.id == id and id != -1), None)
            if entry is None:
                raise no_domain(f"no domain with matching id '{id}'")
            return entry.ref()

    # -- properties --------------------------------------------------------------------------------
    def get_domain_state(self, ref: DomainRef) -> tuple[DomainState, int]:
        with self._lock:
            entry = self._entry(ref)
            self._update(entry)
            return entry.state, entry.reason

    def get_domain_info(self, ref: DomainRef) -> DomainInfo:
        with self._lock:
            entry = self._entry(ref)
            self._update(entry)
            d = entry.definition
            vcpus = d.vcpu.count if d.vcpu is not None and d.vcpu.count is not None else 1
            return DomainInfo(
                state=entry.state,
                max_memory_kib=d.memory or 0,
                memory_kib=d.current_memory if d.current_memory is not None else d.memory or 0,
                vcpus=vcpus,
                cpu_time_ns=0,  # vmrun tells no processor time
            )

    def get_domain_os_type(self, ref: DomainRef) -> str:
        with self._lock:
            d = self._entry(ref).definition
            return d.os.type.name if d.os is not None and d.os.type is not None and d.os.type.name else "hvm"

    def is_domain_active(self, ref: DomainRef) -> bool:
        with self._lock:
            return self._entry(ref).active

    def is_domain_persistent(self, ref: DomainRef) -> bool:
        with self._lock:
            return self._entry(ref).persistent

    def has_managed_save(self, ref: DomainRef) -> bool:
        with self._lock:
            self._entry(ref)
            return False

    def get_domain_definition(self, ref: DomainRef, *, inactive: bool = False, secure: bool = False) -> Domain:
        from virt.localstate.domains import copy_definition

        with self._lock:
            entry = self._entry(ref)
            definition = copy_definition(entry.definition)
            definition.id = entry.id if entry.active and not inactive else None
            return definition

    # -- definitions -------------------------------------------------------------------------------
    def define_domain(self, domain: Domain) -> DomainRef:
        with self._lock:
            entry, _ = self._write_vmx(domain, live=False)
            self._keep()
            return entry.ref()

    def create_domain(self, domain: Domain) -> DomainRef:
        """libvirt's createXML: the .vmx written as for define, the VM started, transient unless it
        was defined already (a failed start forgets a transient VM again)."""
        with self._lock:
            entry, added = self._write_vmx(domain, live=True)
            if entry.active:
                raise libvirt_error(ErrorNumber.OPERATION_INVALID, "Domain is already running", ErrorDomain.VMWARE)
            try:
                self._start(entry)
            except VirtError:
                if added:
                    del self._vms[entry.ref().uuid]
                raise
            return entry.ref()

    def _write_vmx(self, domain: Domain, *, live: bool) -> tuple[VmEntry, bool]:
        """The definition completed as libvirt's parser completes it, its .vmx written beside its
        first disk, and its entry (new or replaced; True when new)."""
        from virt.xml import implicit

        from virt_esx.vmx import to_native

        if domain.type != "vmware":
            arch = domain.os.type.arch if domain.os is not None and domain.os.type is not None else None
            raise libvirt_error(
                ErrorNumber.INVALID_ARG,
                f"could not find capabilities for arch={arch or 'x86_64'} domaintype={domain.type}",
                ErrorDomain.CAPABILITIES,
            )
        if domain.name and "\n" in domain.name:
            raise libvirt_error(
                ErrorNumber.XML_DETAIL, "name 'name' contains illegal character '\n'", ErrorDomain.DOMAIN
            )
        if domain.uuid is None:
            domain.uuid = uuid_module.uuid4()
        if domain.devices is not None:
            implicit.apply_device_defaults(domain)
            implicit.add_implicit_devices(domain)
            implicit.generate_macs(domain.devices)
        text = to_native(domain, context=_context(), virtual_hw_version=VIRTUAL_HW_VERSION)
        path = vmx_path_for(domain)
        self._check_new(domain)
        # as libvirt: the .vmx is written (mode 0600 when new) before the domain joins the list
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text)
        except OSError as exc:
            raise error(f"Failed to write vmx file '{path}': {exc.strerror}") from None
        existing = self._vms.get(domain.uuid)
        if existing is not None and existing.active:
            # libvirt keeps a running VM's definition until it stops; the new .vmx is on disk for its next start
            existing.persistent = existing.persistent or not live
            return existing, False
        entry = VmEntry(domain, path, gui=wants_gui(domain), persistent=not live)
        if existing is not None:
            entry.persistent = existing.persistent or not live
        self._vms[domain.uuid] = entry
        return entry, existing is None

    def _check_new(self, domain: Domain) -> None:
        """libvirt's rules for a definition that meets an existing domain (virDomainObjListAdd)."""
        assert domain.uuid is not None
        same_uuid = self._vms.get(domain.uuid)
        if same_uuid is not None and same_uuid.definition.name != domain.name:
            raise libvirt_error(
                ErrorNumber.OPERATION_FAILED,
                f"domain '{same_uuid.definition.name}' is already defined with uuid {domain.uuid}",
                ErrorDomain.DOMAIN,
            )
        same_name = self._by_name(domain.name or "")
        if same_uuid is None and same_name is not None:
            raise libvirt_error(
                ErrorNumber.OPERATION_FAILED,
                f"domain '{domain.name}' already exists with uuid {same_name.definition.uuid}",
                ErrorDomain.DOMAIN,
            )

    def undefine_domain(self, ref: DomainRef) -> None:
        with self._lock:
            entry = self._entry(ref)
            if not entry.persistent:
                raise libvirt_error(
                    ErrorNumber.OPERATION_INVALID, "cannot undefine transient domain", ErrorDomain.VMWARE
                )
            self._update(entry)
            if entry.active:
                entry.persistent = False
            else:
                del self._vms[ref.uuid]
            # the .vmx stays, as libvirt leaves it; only virt's memory of it goes
            self.known.update(lambda kept, paused: ([p for p in kept if p != entry.vmx_path], paused))

    # -- the life of a VM --------------------------------------------------------------------------
    def start_domain(self, ref: DomainRef) -> None:
        with self._lock:
            entry = self._vms.get(ref.uuid)
            if entry is None:
                raise no_domain(f"No domain with matching uuid '{ref.uuid}'")
            self._update(entry)
            if entry.active:
                raise libvirt_error(ErrorNumber.OPERATION_INVALID, "Domain is already running", ErrorDomain.VMWARE)
            self._start(entry)

    def _start(self, entry: VmEntry) -> None:
        """libvirt's vmwareStartVM: vmrun start, then the VM's pid from its log as the domain id."""
        if entry.state != DomainState.SHUTOFF:
            raise libvirt_error(ErrorNumber.OPERATION_INVALID, "domain is not in shutoff state", ErrorDomain.VMWARE)
        self._vmrun("start", entry.vmx_path, *([] if entry.gui else ["nogui"]))
        try:
            entry.id = vmrun.extract_pid(entry.vmx_path)
        except VirtError:
            # as libvirt: a VM whose pid cannot be read is stopped again, the start failed
            try:
                self._vmrun("stop", entry.vmx_path, "soft")
            except VirtError as stop_error:
                log.warning("cannot stop %s after its failed start: %s", entry.vmx_path, stop_error)
            entry.id, entry.state, entry.reason = -1, DomainState.SHUTOFF, ShutoffReason.FAILED
            raise
        entry.state, entry.reason = DomainState.RUNNING, RunningReason.BOOTED
        self._keep()

    def _stop(self, ref: DomainRef, how: str, reason: ShutoffReason, allowed: tuple[DomainState, ...]) -> None:
        entry = self._entry(ref)
        self._update(entry)
        if entry.state not in allowed:
            raise error("domain is not in running state")
        self._vmrun("stop", entry.vmx_path, how)
        entry.id, entry.state, entry.reason = -1, DomainState.SHUTOFF, reason
        if not entry.persistent:
            del self._vms[ref.uuid]
        self._keep()

    def shutdown_domain(self, ref: DomainRef, mode: ShutdownMode) -> None:
        _no_flags(int(mode), "vmwareDomainShutdownFlags")
        with self._lock:
            # a soft stop: VMware Tools in the guest shut it down
            self._stop(ref, "soft", ShutoffReason.SHUTDOWN, (DomainState.RUNNING,))

    def destroy_domain(self, ref: DomainRef) -> None:
        with self._lock:
            # a hard stop, whatever the guest runs: libvirt's destroy stops softly, which fails
            # in a guest without VMware Tools; a paused VM can be powered off too
            self._stop(ref, "hard", ShutoffReason.DESTROYED, (DomainState.RUNNING, DomainState.PAUSED))

    def reboot_domain(self, ref: DomainRef, mode: ShutdownMode) -> None:
        _no_flags(int(mode), "vmwareDomainReboot")
        with self._lock:
            entry = self._entry(ref)
            self._update(entry)
            if entry.state != DomainState.RUNNING:
                raise error("domain is not in running state")
            self._vmrun("reset", entry.vmx_path, "soft")
            entry.id = vmrun.extract_pid(entry.vmx_path)  # a reset VM runs in a new process

    def _pause(self, ref: DomainRef, command: str) -> None:
        if self.product.host_type == "player":
            raise error("vmplayer does not support libvirt suspend/resume (vmware pause/unpause) operation ")
        with self._lock:
            # as libvirt: the state the connection knows, vmrun is not asked first
            entry = self._entry(ref)
            if command == "pause" and entry.state != DomainState.RUNNING:
                raise error("domain is not in running state")
            if command == "unpause" and entry.state != DomainState.PAUSED:
                raise error("domain is not in suspend state")
            self._vmrun(command, entry.vmx_path)
            if command == "pause":
                entry.state, entry.reason = DomainState.PAUSED, PausedReason.USER
            else:
                entry.state, entry.reason = DomainState.RUNNING, RunningReason.UNPAUSED
            self._keep()

    def suspend_domain(self, ref: DomainRef) -> None:
        self._pause(ref, "pause")

    def resume_domain(self, ref: DomainRef) -> None:
        self._pause(ref, "unpause")
