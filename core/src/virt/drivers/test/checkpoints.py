"""libvirt 9.0's test driver's domain checkpoints: taken of a running domain without snapshots,
each keeps the domain's definition and, for each disk, whether it tracks changes into a bitmap
(named after the checkpoint unless said otherwise); the new one becomes current, under the one
current before."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from virt.checkpoints import CreateFlags, DeleteFlags, ListFlags, XMLFlags
from virt.drivers.test import errors
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError, XMLError, libvirt_error

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.drivers.test.host import Host
    from virt.drivers.test.objects import DomainObj
    from virt.xml.checkpoint import CheckpointParent, DomainCheckpoint
    from virt.xml.devices import Disk
    from virt.xml.domain import Domain

_CREATE_TAKEN = int(CreateFlags.REDEFINE | CreateFlags.QUIESCE)
_LIST_TAKEN = int(ListFlags.ROOTS | ListFlags.TOPOLOGICAL | ListFlags.LEAVES | ListFlags.NO_LEAVES)
_XML_TAKEN = int(XMLFlags.SECURE | XMLFlags.NO_DOMAIN | XMLFlags.SIZE)
_DELETE_TAKEN = int(DeleteFlags.CHILDREN | DeleteFlags.METADATA_ONLY | DeleteFlags.CHILDREN_ONLY)
_CONF = ErrorDomain.DOMAIN_CHECKPOINT
"""Where libvirt's checkpoint XML code (checkpoint_conf.c) reports from."""


def _unsupported(flags: int, function: str) -> VirtError:
    return InvalidArgument(
        f"unsupported flags (0x{flags:x}) in function {function}", ErrorNumber.INVALID_ARG, ErrorDomain.TEST
    )


def _missing(name: str) -> VirtError:
    return errors.error(ErrorNumber.NO_DOMAIN_CHECKPOINT, f"no domain checkpoint with matching name '{name}'")


def _parent(chk: DomainCheckpoint) -> str | None:
    return chk.parent.name if chk.parent is not None else None


def _children(obj: DomainObj, name: str | None) -> list[str]:
    """The children of ``name`` (None: the roots) newest first, as libvirt links them."""
    return [n for n, c in reversed(obj.checkpoints.items()) if _parent(c) == name]


def _descendants(obj: DomainObj, name: str | None) -> list[str]:
    """Each descendant after its parent (libvirt's walk; what TOPOLOGICAL asks)."""
    found: list[str] = []
    for child in _children(obj, name):
        found += [child, *_descendants(obj, child)]
    return found


def _well_formed(xml: str) -> None:
    """libvirt's report of text that is no XML (its catchXMLError): libxml2's words, the line and
    a pointer to where the parser stopped."""
    import re

    from lxml import etree

    try:
        etree.fromstring(xml.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        words = re.sub(r", line \d+, column \d+$", "", exc.msg)
        lines = xml.splitlines()
        context = lines[line - 1] if 0 < line <= len(lines) else ""
        pointer = "".join("\t" if char == "\t" else "-" for char in context[: max(column - 1, 0)]) + "^"
        raise VirtError(
            f"(domain_checkpoint):{line}: {words}\n{context or '(null)'}\n{pointer}", ErrorNumber.XML_DETAIL, _CONF
        ) from None


def _parse(xml: str, *, redefine: bool) -> DomainCheckpoint:
    """virDomainCheckpointDefParseString: the root element, libvirt's schema, then the fields."""
    from virt.xml.base import parse_document
    from virt.xml.checkpoint import DomainCheckpoint
    from virt.xml.schema import refuse_invalid, schema_available

    _well_formed(xml)
    root = parse_document(xml)
    if root.tag != "domaincheckpoint":
        raise XMLError(
            f"XML error: expecting root element of 'domaincheckpoint', not '{root.tag}'",
            ErrorNumber.XML_ERROR,
            ErrorDomain.XML,
        )
    if schema_available("domaincheckpoint"):  # libvirt always validates; without the schema, virt cannot
        refuse_invalid(xml, located=False)
    chk = DomainCheckpoint.from_element(root)
    if redefine:
        if chk.name is None:
            raise libvirt_error(ErrorNumber.XML_ERROR, "a redefined checkpoint must have a name", _CONF)
        if chk.creation_time is None:
            raise libvirt_error(ErrorNumber.INTERNAL_ERROR, "missing creationTime from existing checkpoint", _CONF)
    else:
        # virDomainMomentDefPostParse: what is not redefined is made now, and named by that time
        now = int(time.time())
        chk.creation_time = now
        chk.name = chk.name or str(now)
        chk.parent = None
        chk.domain = None
    return chk


def _writable(disk: Disk) -> bool:
    """A disk with a source that is not read-only: the ones whose changes can be tracked."""
    source = disk.source
    has_source = source is not None and any(
        (source.file, source.dev, source.dir, source.name, source.volume, source.pool)
    )
    return has_source and not disk.readonly


def _target(disk: Disk) -> str:
    return disk.target.dev if disk.target is not None and disk.target.dev else ""


def _align_disks(chk: DomainCheckpoint, domain: Domain) -> None:
    """virDomainCheckpointAlignDisks: one entry per disk of the domain, in its order, by target."""
    from virt.xml.checkpoint import CheckpointDisk, CheckpointDisks

    disks = list(domain.devices.disks) if domain.devices is not None else []
    asked = list(chk.disks.disks) if chk.disks is not None else []
    if len(asked) > len(disks):
        raise libvirt_error(ErrorNumber.CONFIG_UNSUPPORTED, "too many disk checkpoint requests for domain", _CONF)
    if not disks:
        raise libvirt_error(
            ErrorNumber.CONFIG_UNSUPPORTED, "domain must have at least one disk to perform checkpoints", _CONF
        )
    default = "no" if asked else "bitmap"  # given <disks>, the disks left out track nothing
    by_target: dict[str, CheckpointDisk] = {}
    for entry in asked:
        disk = _disk_named(disks, entry.name or "")
        if disk is None:
            raise libvirt_error(ErrorNumber.CONFIG_UNSUPPORTED, f"no disk named '{entry.name}'", _CONF)
        target = _target(disk)
        if target in by_target:
            raise libvirt_error(ErrorNumber.CONFIG_UNSUPPORTED, f"disk '{entry.name}' specified twice", _CONF)
        if not _writable(disk) and entry.checkpoint != "no":
            raise libvirt_error(ErrorNumber.CONFIG_UNSUPPORTED, f"disk '{entry.name}' is empty or readonly", _CONF)
        entry.name = target
        by_target[target] = entry
    aligned = CheckpointDisks()
    for disk in disks:
        found = by_target.get(_target(disk))
        if found is None:
            found = CheckpointDisk()
            found.name = _target(disk)
            found.checkpoint = default if _writable(disk) else "no"
        aligned.disks.append(found)
    chk.disks = aligned
    _name_bitmaps(chk)


def _disk_named(disks: list[Disk], name: str) -> Disk | None:
    """virDomainDiskByName: by target, else by source path."""
    for disk in disks:
        if _target(disk) == name:
            return disk
    for disk in disks:
        if disk.source is not None and name and name in (disk.source.file, disk.source.dev):
            return disk
    return None


def _name_bitmaps(chk: DomainCheckpoint) -> None:
    for entry in chk.disks.disks if chk.disks is not None else []:
        if entry.checkpoint == "bitmap" and not entry.bitmap:
            entry.bitmap = chk.name


def before_snapshot(obj: DomainObj) -> None:
    """A domain with checkpoints takes no snapshot (libvirt's test driver)."""
    if obj.checkpoints:
        raise errors.error(ErrorNumber.OPERATION_UNSUPPORTED, "cannot create snapshot while checkpoint exists")


class CheckpointOperations:
    """The checkpoint methods of TestConnection (callers of ``_domain`` hold ``host.lock``)."""

    host: Host

    if TYPE_CHECKING:  # DomainOperations', beside this mixin in TestConnection

        def _domain(self, ref: DomainRef) -> DomainObj: ...

    def create_domain_checkpoint(self, ref: DomainRef, xml: str, flags: int) -> str:
        if flags & ~_CREATE_TAKEN:
            raise _unsupported(flags & ~_CREATE_TAKEN, "testDomainCheckpointCreateXML")
        redefine = bool(flags & CreateFlags.REDEFINE)
        with self.host.lock:
            obj = self._domain(ref)
            if obj.snapshots:
                raise errors.error(ErrorNumber.OPERATION_UNSUPPORTED, "cannot create checkpoint while snapshot exists")
            if not obj.active:
                raise errors.error(ErrorNumber.OPERATION_UNSUPPORTED, "cannot create checkpoint for inactive domain")
            chk = _parse(xml, redefine=redefine)
            name = chk.name
            assert name is not None
            if redefine:
                update_current = self._redefine_prep(obj, chk)
            else:
                chk.domain = obj.current.clone()
                _align_disks(chk, chk.domain)
                if name in obj.checkpoints:
                    raise libvirt_error(
                        ErrorNumber.OPERATION_FAILED, f"domain moment {name} already exists", ErrorDomain.DOMAIN
                    )
                update_current = True
                if obj.current_checkpoint is not None:
                    chk.parent = _parent_named(obj.current_checkpoint)
            obj.checkpoints[name] = chk
            if update_current:
                obj.current_checkpoint = name
            return name

    @staticmethod
    def _redefine_prep(obj: DomainObj, chk: DomainCheckpoint) -> bool:
        """virDomainCheckpointRedefinePrep: whether the redefined checkpoint becomes current."""
        name = chk.name
        parent = _parent(chk)
        if parent is not None:
            if parent == name:
                raise libvirt_error(
                    ErrorNumber.INVALID_ARG, f"cannot set moment {name} as its own parent", ErrorDomain.DOMAIN
                )
            other = obj.checkpoints.get(parent)
            if other is None:
                raise libvirt_error(
                    ErrorNumber.INVALID_ARG, f"parent {parent} for moment {name} not found", ErrorDomain.DOMAIN
                )
            ancestor = parent
            while (above := _parent(obj.checkpoints[ancestor])) is not None:
                if above == name:
                    raise libvirt_error(
                        ErrorNumber.INVALID_ARG, f"parent {ancestor} would create cycle to {name}", ErrorDomain.DOMAIN
                    )
                if above not in obj.checkpoints:
                    break
                ancestor = above
        if chk.domain is not None and chk.domain.type is not None:
            if chk.domain.uuid != obj.uuid:
                raise libvirt_error(
                    ErrorNumber.INVALID_ARG, f"definition for checkpoint {name} must use uuid {obj.uuid}", _CONF
                )
            _align_disks(chk, chk.domain)
        else:
            _name_bitmaps(chk)
        return obj.current_checkpoint is None or (parent is not None and parent == obj.current_checkpoint)

    def list_domain_checkpoints(self, ref: DomainRef, flags: int, of: str | None = None) -> list[str]:
        function = "testDomainCheckpointListAllChildren" if of is not None else "testDomainListAllCheckpoints"
        if flags & ~_LIST_TAKEN:
            raise _unsupported(flags & ~_LIST_TAKEN, function)
        with self.host.lock:
            obj = self._domain(ref)
            if of is not None:
                if of not in obj.checkpoints:
                    raise _missing(of)
                names = _descendants(obj, of) if flags & ListFlags.DESCENDANTS else _children(obj, of)
            elif flags & ListFlags.ROOTS:
                names = _children(obj, None)
            else:
                names = _descendants(obj, None)
            if flags & ListFlags.LEAVES:  # both LEAVES and NO_LEAVES: nothing is both (libvirt 9.0)
                names = [n for n in names if not _children(obj, n)]
            if flags & ListFlags.NO_LEAVES:
                names = [n for n in names if _children(obj, n)]
            return names

    def lookup_domain_checkpoint(self, ref: DomainRef, name: str) -> str:
        with self.host.lock:
            self._checkpoint(ref, name)
            return name

    def _checkpoint(self, ref: DomainRef, name: str) -> DomainCheckpoint:
        chk = self._domain(ref).checkpoints.get(name)
        if chk is None:
            raise _missing(name)
        return chk

    def get_domain_checkpoint_xml(self, ref: DomainRef, name: str, flags: int) -> str:
        if flags & ~_XML_TAKEN:
            raise _unsupported(flags & ~_XML_TAKEN, "testDomainCheckpointGetXMLDesc")
        with self.host.lock:
            chk = self._checkpoint(ref, name)
            if flags & XMLFlags.SIZE and not self._domain(ref).active:
                raise errors.not_running()
            # the test driver sets no valid size: SIZE shows none
            shown = chk
            if chk.domain is not None and (flags & XMLFlags.NO_DOMAIN or not flags & XMLFlags.SECURE):
                shown = chk.clone()
                if flags & XMLFlags.NO_DOMAIN:
                    shown.domain = None
                else:
                    assert shown.domain is not None
                    shown.domain.hide_secrets()
            return shown.to_xml()

    def get_domain_checkpoint_parent(self, ref: DomainRef, name: str) -> str:
        with self.host.lock:
            parent = _parent(self._checkpoint(ref, name))
            if parent is None:
                raise errors.error(ErrorNumber.NO_DOMAIN_CHECKPOINT, f"checkpoint '{name}' does not have a parent")
            return parent

    def delete_domain_checkpoint(self, ref: DomainRef, name: str, flags: int) -> None:
        if flags & ~_DELETE_TAKEN:
            raise _unsupported(flags & ~_DELETE_TAKEN, "testDomainCheckpointDelete")
        with self.host.lock:
            obj = self._domain(ref)
            parent = _parent(self._checkpoint(ref, name))
            if flags & (DeleteFlags.CHILDREN | DeleteFlags.CHILDREN_ONLY):
                for child in _descendants(obj, name):
                    if obj.current_checkpoint == child:
                        obj.current_checkpoint = name  # the current one goes: the deleted tree's root is current
                    del obj.checkpoints[child]
            else:
                for child in _children(obj, name):  # the children move up under the parent
                    obj.checkpoints[child].parent = _parent_named(parent) if parent is not None else None
            if not flags & DeleteFlags.CHILDREN_ONLY:
                if obj.current_checkpoint == name:
                    obj.current_checkpoint = parent
                del obj.checkpoints[name]


def _parent_named(name: str) -> CheckpointParent:
    from virt.xml.checkpoint import CheckpointParent

    parent = CheckpointParent()
    parent.name = name
    return parent
