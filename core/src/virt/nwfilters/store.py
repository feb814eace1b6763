"""NWFilterService: the network filters of this host and their bindings to guest port devices.

A defined filter is its file ``nwfilter/NAME.xml`` under the service's state folder (libvirt keeps
``/etc/libvirt/nwfilter/NAME.xml``); a binding is ``nwfilter-binding/PORTDEV.xml`` under its run
folder, gone at reboot as libvirt's binding status is (hypervisor drivers make them again when they
start guests). The files are the truth, so every process serving the host (virtd, an in-process
``qemu:///system``) sees the same filters; every change holds the service's lock file.

Where libvirt's Debian package ships its example filters (``clean-traffic``, ``no-mac-spoofing``...
in ``/etc/libvirt/nwfilter``), a new system store starts with a copy of them, so that a guest
definition naming one finds it as it would under libvirt; a store under ``VIRT_NWFILTER_ROOT`` (tests,
side-by-side runs) starts empty, as libvirt's test driver and a bare libvirtd do.

Checks and error words are libvirt 9.0's nwfilter driver's. Filters are not enforced: creating a
binding records it and stops there.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import uuid as uuid_module
from collections.abc import Iterator
from pathlib import Path

import attrs

from virt.driver import NWFilterBindingRef, NWFilterRef
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError, libvirt_error
from virt.localstate import layout
from virt.localstate.files import atomic_write, holding, remove
from virt.xml.nwfilter import NWFilter
from virt.xml.nwfilterbinding import FilterBinding

DEFINE_VALIDATE = 1  # VIR_NWFILTER_DEFINE_VALIDATE
CREATE_VALIDATE = 1  # VIR_NWFILTER_BINDING_CREATE_VALIDATE
LIBVIRT_FILTERS = Path("/etc/libvirt/nwfilter")
"""Where libvirt's package puts the filters it ships."""
NET_DEVICES = Path("/sys/class/net")
FILE_UUID_NAMESPACE = uuid_module.UUID("9d6c1f52-3c1e-4f0e-9f8a-5b7e2d4c6a10")
"""Where the UUIDs of filter files without one come from (uuid5 of the filter's name)."""


@attrs.frozen
class NWFilterDirs:
    """The folders of one filter service."""

    state: Path
    run: Path
    seed: Path | None = None
    """Filters a new store starts with a copy of (None: it starts empty)."""

    @property
    def filters_dir(self) -> Path:
        return self.state / "nwfilter"

    @property
    def bindings_dir(self) -> Path:
        return self.run / "nwfilter-binding"

    @property
    def lock_file(self) -> Path:
        return self.run / "nwfilter.lock"

    def make(self) -> None:
        new = not self.filters_dir.is_dir()
        for folder in (self.filters_dir, self.bindings_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if new and self.seed is not None and self.seed.is_dir():
            for source in sorted(self.seed.glob("*.xml")):
                shutil.copyfile(source, self.filters_dir / source.name)

    @classmethod
    def for_host(cls) -> NWFilterDirs:
        """The system's folders (``/var/lib/virt/nwfilter``, ``/run/virt/nwfilter``), or those under
        ``$VIRT_NWFILTER_ROOT``."""
        root = layout.root_override("nwfilter")
        if root is not None:
            dirs = layout.under_root(root)
            return cls(dirs.state, dirs.run)
        dirs = layout.system_dirs("nwfilter")
        return cls(dirs.state, dirs.run, LIBVIRT_FILTERS)


def _error(code: ErrorNumber, detail: str) -> VirtError:
    return libvirt_error(code, detail, ErrorDomain.NWFILTER)


def check_flags(flags: int, allowed: int, function: str) -> None:
    """libvirt's virCheckFlags in the nwfilter driver's words."""
    unknown = int(flags) & ~allowed
    if unknown:
        raise InvalidArgument(
            f"unsupported flags (0x{unknown:x}) in function {function}", ErrorNumber.INVALID_ARG, ErrorDomain.NWFILTER
        )


def ref_of(definition: NWFilter) -> NWFilterRef:
    return NWFilterRef(name=definition.name, uuid=definition.uuid)


def binding_ref_of(binding: FilterBinding) -> NWFilterBindingRef:
    return NWFilterBindingRef(portdev=binding.portdev, filter=binding.filter)


class NWFilterService:
    """The filters and bindings of one folder layout."""

    def __init__(self, dirs: NWFilterDirs) -> None:
        self.dirs = dirs
        self._lock = threading.RLock()
        dirs.make()

    @contextlib.contextmanager
    def changing(self) -> Iterator[None]:
        """Hold the service: this process's threads and other processes change filters in turn."""
        with holding(self._lock, self.dirs.lock_file):
            yield

    # -- filters ----------------------------------------------------------------------------------
    def filters(self) -> dict[str, NWFilter]:
        """Every defined filter by name, sorted by name."""
        found: dict[str, NWFilter] = {}
        for path in sorted(self.dirs.filters_dir.glob("*.xml")):
            try:
                text = path.read_bytes()
                definition = NWFilter.from_xml(text)
            except (OSError, VirtError):
                # libvirt skips a file it cannot read or parse when it loads its filters
                continue
            if b"<uuid" not in text:
                # a file without a UUID (libvirt ships its filters so) gets one made from its name:
                # the same in every process reading it, with nothing written back
                definition.uuid = uuid_module.uuid5(FILE_UUID_NAMESPACE, definition.name)
            found[definition.name] = definition
        return dict(sorted(found.items()))

    def by_name(self, name: str) -> NWFilter:
        found = self.filters().get(name)
        if found is None:
            raise _error(ErrorNumber.NO_NWFILTER, f"no nwfilter with matching name '{name}'")
        return found

    def by_uuid(self, key: uuid_module.UUID) -> NWFilter:
        for definition in self.filters().values():
            if definition.uuid == key:
                return definition
        raise _error(ErrorNumber.NO_NWFILTER, f"no nwfilter with matching uuid '{key}'")

    def define(self, xml: str, flags: int) -> NWFilter:
        """virNWFilterDefineXMLFlags: a new filter, or a new definition of the one of that name."""
        check_flags(flags, DEFINE_VALIDATE, "nwfilterDefineXMLFlags")
        if flags & DEFINE_VALIDATE:
            from virt.xml.schema import refuse_invalid

            refuse_invalid(xml, located=False)
        new = NWFilter.from_xml(xml)
        with self.changing():
            known = self.filters()
            same_name = known.get(new.name)
            same_uuid = next((f for f in known.values() if f.uuid == new.uuid), None)
            if same_uuid is not None and same_uuid.name != new.name:
                detail = f"filter with same UUID but different name ('{same_uuid.name}') already exists"
                raise _error(ErrorNumber.OPERATION_FAILED, detail)
            if same_uuid is None and same_name is not None:
                detail = f"filter '{new.name}' already exists with uuid {same_name.uuid}"
                raise _error(ErrorNumber.OPERATION_FAILED, detail)
            known[new.name] = new
            if _reaches(known, new.referenced, new.name):
                raise _error(ErrorNumber.OPERATION_FAILED, "filter would introduce a loop")
            atomic_write(self._filter_file(new.name), new.to_xml(), sync_folder=False)
        return new

    def undefine(self, key: uuid_module.UUID) -> None:
        """virNWFilterUndefine: refused while a binding of a port device present on the host uses
        the filter, directly or through others. libvirt refuses exactly then (it re-applies every
        binding without the filter, which fails only where the device exists); a binding of an
        absent device does not hold its filter."""
        with self.changing():
            found = self.by_uuid(key)
            known = self.filters()
            for binding in self.bindings():
                if not (NET_DEVICES / binding.portdev).exists():
                    continue
                if _reaches(known, [binding.filter], found.name):
                    raise _error(ErrorNumber.OPERATION_INVALID, "nwfilter is in use")
            remove(self._filter_file(found.name))

    def _filter_file(self, name: str) -> Path:
        if "/" in name or name in (".", ".."):
            # the name becomes a file name, as in libvirt, which refuses the same
            raise _error(ErrorNumber.INTERNAL_ERROR, f"cannot use '{name}' as a filter file name")
        return self.dirs.filters_dir / f"{name}.xml"

    # -- bindings ---------------------------------------------------------------------------------
    def bindings(self) -> list[FilterBinding]:
        """Every binding, by port device."""
        found = []
        for path in sorted(self.dirs.bindings_dir.glob("*.xml")):
            with contextlib.suppress(FileNotFoundError):
                found.append(FilterBinding.from_xml(path.read_bytes()))
        return found

    def binding(self, portdev: str) -> FilterBinding:
        for binding in self.bindings():
            if binding.portdev == portdev:
                return binding
        raise _error(ErrorNumber.NO_NWFILTER_BINDING, f"no nwfilter binding for port dev '{portdev}'")

    def create_binding(self, xml: str, flags: int) -> FilterBinding:
        """virNWFilterBindingCreateXML: record the binding. Its filter need not exist yet (libvirt
        9.0 records such a binding too); no firewall rule is made: filters are not enforced."""
        check_flags(flags, CREATE_VALIDATE, "nwfilterBindingCreateXML")
        if flags & CREATE_VALIDATE:
            from virt.xml.schema import refuse_invalid

            refuse_invalid(xml, located=False)
        new = FilterBinding.from_xml(xml)
        with self.changing():
            if any(binding.portdev == new.portdev for binding in self.bindings()):
                raise _error(ErrorNumber.OPERATION_FAILED, f"binding '{new.portdev}' already exists")
            atomic_write(self._binding_file(new.portdev), new.to_xml(), sync_folder=False)
        return new

    def delete_binding(self, portdev: str) -> None:
        with self.changing():
            self.binding(portdev)
            remove(self._binding_file(portdev))

    def _binding_file(self, portdev: str) -> Path:
        if "/" in portdev or portdev in (".", ".."):
            raise _error(ErrorNumber.INTERNAL_ERROR, f"cannot use '{portdev}' as a binding file name")
        return self.dirs.bindings_dir / f"{portdev}.xml"


def _reaches(known: dict[str, NWFilter], start: list[str], target: str) -> bool:
    """Whether following ``<filterref>`` from the filters ``start`` comes to ``target`` (filters not
    defined end a path, as in libvirt's loop check)."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name == target:
            return True
        if name in seen or name not in known:
            continue
        seen.add(name)
        todo.extend(known[name].referenced)
    return False


_services: dict[NWFilterDirs, NWFilterService] = {}
_services_lock = threading.Lock()


def service_for_host() -> NWFilterService:
    """The process's filter service of this host, made on first use."""
    dirs = NWFilterDirs.for_host()
    with _services_lock:
        found = _services.get(dirs)
        if found is None:
            found = _services[dirs] = NWFilterService(dirs)
        return found
