"""define + dumpxml on libvirt 9.0's test driver and on virt's, compared.

The inputs are the conformance corpus's documents (libvirt-written: the round-trip suites;
person-written: the xml2xml inputs and the QEMU command-line inputs) and a few documents of the
kind people write by hand. Both sides define each input, dump it inactive and live, and the
outcomes are compared as the conformance scorer compares XML (whitespace-only text dropped,
attributes in any order). ``python defaults_support.py`` prints the agreement per kind and the
differing element paths.
"""

from __future__ import annotations

import collections
import difflib
import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from lxml import etree

SYSTEM_PYTHON = "/usr/bin/python3"
REFERENCE_SCRIPT = Path(__file__).with_name("libvirt_reference.py")

# suite -> (object kind, who wrote its inputs)
SUITES = {
    "domain-roundtrip": ("domain", "libvirt"),
    "domain-roundtrip-generic": ("domain", "libvirt"),
    "domain-roundtrip-lxc": ("domain", "libvirt"),
    "domain-roundtrip-bhyve": ("domain", "libvirt"),
    "network-roundtrip": ("network", "libvirt"),
    "storagepool-roundtrip": ("pool", "libvirt"),
    "storagevol-roundtrip": ("volume", "libvirt"),
    "domain-xml2xml-generic": ("domain", "person"),
    "xml-to-qemu-argv": ("domain", "person"),
    "network-xml2xml": ("network", "person"),
    "storagepool-xml2xml": ("pool", "person"),
    "storagevol-xml2xml": ("volume", "person"),
}

# Documents of the kind people write by hand: the least each format accepts, and a little more.
HANDWRITTEN: dict[str, tuple[str, str]] = {
    "minimal-domain": (
        "domain",
        "<domain type='test'><name>m1</name><memory>1024</memory><os><type>hvm</type></os></domain>",
    ),
    "minimal-kvm-domain": (
        "domain",
        "<domain type='kvm'><name>m2</name><memory unit='MiB'>512</memory><vcpu>2</vcpu>"
        "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
        "<disk type='file' device='disk'><source file='/var/lib/images/m2.qcow2'/><target dev='vda' bus='virtio'/></disk>"
        "<disk type='file' device='cdrom'><source file='/iso/d.iso'/><target dev='hdc' bus='ide'/></disk>"
        "<interface type='network'><source network='default'/><model type='virtio'/></interface>"
        "<graphics type='vnc'/><video><model type='qxl'/></video><console type='pty'/>"
        "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
        "</devices></domain>",
    ),
    "desktop-domain": (
        "domain",
        "<domain type='kvm'><name>m3</name><memory>2097152</memory><currentMemory>1048576</currentMemory>"
        "<os><type arch='x86_64' machine='q35'>hvm</type><boot dev='cdrom'/></os><features><acpi/><apic/></features>"
        "<cpu mode='host-passthrough'/><devices>"
        "<disk type='network' device='disk'><driver name='qemu' type='raw'/>"
        "<source protocol='gluster' name='vol/img'><host name='gluster.example'/></source>"
        "<target dev='sda' bus='scsi'/></disk>"
        "<disk type='file' device='cdrom'><target dev='sdb' bus='sata'/></disk>"
        "<disk type='file' device='floppy'><source file='/f.img'/><target dev='fda'/></disk>"
        "<interface type='bridge'><source bridge='br0'/></interface>"
        "<interface type='user'/>"
        "<serial type='tcp'><source host='127.0.0.1' service='4555'/></serial>"
        "<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>"
        "<channel type='unix'><source mode='bind' path='/tmp/ga.sock'/><target type='virtio'/></channel>"
        "<input type='tablet' bus='usb'/><graphics type='spice' autoport='yes'/>"
        "<sound model='ich9'/><video><model type='virtio'/></video><video><model type='vga'/></video>"
        "<memballoon model='virtio'/>"
        "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>"
        "<watchdog model='i6300esb'/><tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>"
        "<filesystem type='mount'><source dir='/srv'/><target dir='srv'/></filesystem>"
        "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/></source>"
        "</hostdev><smartcard mode='host'/>"
        "</devices></domain>",
    ),
    "usb-redirection-without-usb": (
        "domain",
        "<domain type='kvm'><name>m5</name><memory>524288</memory><os><type>hvm</type></os><devices>"
        "<redirdev bus='usb' type='spicevmc'/></devices></domain>",
    ),
    "usb-redirection": (
        "domain",
        "<domain type='kvm'><name>m6</name><memory>524288</memory><os><type>hvm</type></os><devices>"
        "<controller type='usb' model='qemu-xhci'/><redirdev bus='usb' type='spicevmc'/></devices></domain>",
    ),
    "bad-disk-name": (
        "domain",
        "<domain type='test'><name>b1</name><memory>1024</memory><os><type>hvm</type></os><devices>"
        "<disk type='file'><target dev='qq' bus='ide'/></disk></devices></domain>",
    ),
    "bad-address-number": (
        "domain",
        "<domain type='test'><name>b2</name><memory>1024</memory><os><type>hvm</type></os><devices>"
        "<watchdog model='i6300esb'><address type='pci' slot='zz'/></watchdog></devices></domain>",
    ),
    "bad-channel-controller": (
        "domain",
        "<domain type='test'><name>b3</name><memory>1024</memory><os><type>hvm</type></os><devices>"
        "<channel type='pty'><target type='virtio'/><address type='virtio-serial' controller='x'/></channel>"
        "</devices></domain>",
    ),
    "xen-pv-domain": (
        "domain",
        "<domain type='xen'><name>m4</name><memory>524288</memory><bootloader>/usr/bin/pygrub</bootloader>"
        "<os><type>linux</type></os><devices><disk type='file'><source file='/x.img'/><target dev='xvda'/></disk>"
        "<console type='pty'/><graphics type='vnc' port='-1'/></devices></domain>",
    ),
    "minimal-network": ("network", "<network><name>n1</name></network>"),
    "nat-network": (
        "network",
        "<network><name>n2</name><forward mode='nat'/><bridge name='virbr7'/>"
        "<ip address='192.168.150.1' netmask='255.255.255.0'><dhcp><range start='192.168.150.2' end='192.168.150.254'/>"
        "</dhcp></ip></network>",
    ),
    "isolated-network": (
        "network",
        "<network><name>n3</name><ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.10' end='10.0.0.99'/>"
        "<host mac='52:54:00:00:00:01' ip='10.0.0.5'/></dhcp></ip><ip family='ipv6' address='fd00::1' prefix='64'/>"
        "<dns><host ip='10.0.0.5'><hostname>h</hostname></host></dns><domain name='lab'/></network>",
    ),
    "bridge-network": (
        "network",
        "<network><name>n4</name><forward mode='bridge'/><bridge name='br0'/></network>",
    ),
    "route-network": (
        "network",
        "<network><name>n5</name><forward mode='route' dev='eth0'/><mtu size='9000'/>"
        "<ip address='10.1.0.1' netmask='255.255.0.0'/></network>",
    ),
    "dir-pool": ("pool", "<pool type='dir'><name>p1</name><target><path>/var/lib/p1</path></target></pool>"),
    "logical-pool": ("pool", "<pool type='logical'><name>p2</name><source><name>vg</name></source></pool>"),
    "fs-pool": (
        "pool",
        "<pool type='fs'><name>p3</name><source><device path='/dev/sdb1'/></source><target><path>/mnt/p3/</path>"
        "</target></pool>",
    ),
    "netfs-pool": (
        "pool",
        "<pool type='netfs'><name>p4</name><source><host name='nfs.example'/><dir path='/export'/></source>"
        "<target><path>/mnt/p4</path></target></pool>",
    ),
    "iscsi-pool": (
        "pool",
        "<pool type='iscsi'><name>p5</name><source><host name='iscsi.example'/>"
        "<device path='iqn.2013-06.com.example:iscsi-pool'/></source><target><path>/dev/disk/by-path</path></target></pool>",
    ),
    "disk-pool": (
        "pool",
        "<pool type='disk'><name>p6</name><source><device path='/dev/sdc'/></source><target><path>/dev</path></target></pool>",
    ),
    "rbd-pool": (
        "pool",
        "<pool type='rbd'><name>p7</name><source><name>rbdpool</name><host name='ceph.example'/></source></pool>",
    ),
    "raw-volume": ("volume", "<volume><name>v1.img</name><capacity>1048576</capacity></volume>"),
    "qcow2-volume": (
        "volume",
        "<volume><name>v2.qcow2</name><capacity unit='G'>1</capacity><target><format type='qcow2'/></target></volume>",
    ),
    "sized-volume": (
        "volume",
        "<volume><name>v3.img</name><capacity unit='MiB'>100</capacity><allocation unit='KiB'>0</allocation>"
        "<target><permissions><mode>0600</mode></permissions></target></volume>",
    ),
    "backed-volume": (
        "volume",
        "<volume><name>v4.qcow2</name><capacity unit='G'>2</capacity><target><format type='qcow2'/></target>"
        "<backingStore><path>/default-pool/base.img</path><format type='raw'/></backingStore></volume>",
    ),
}


class Case:
    def __init__(self, name: str, kind: str, author: str, xml: str) -> None:
        self.name, self.kind, self.author, self.xml = name, kind, author, xml
        root = etree.fromstring(xml.encode())
        self.generates_uuid = root.tag != "volume" and root.find("uuid") is None


def cases(conformance: Path) -> list[Case]:
    """Every input: the corpus's (when present) and the hand-written ones."""
    found: list[Case] = []
    for suite, (kind, author) in SUITES.items():
        folder = conformance / suite
        if not folder.is_dir():
            continue
        for line in (folder / "MANIFEST.jsonl").read_text().splitlines():
            entry = json.loads(line)
            if not entry["input"].endswith(".xml"):
                continue
            found.append(Case(f"{suite}/{entry['id']}", kind, author, (folder / entry["input"]).read_text()))
    for case in [c for c in found if c.kind == "domain" and c.author == "libvirt"]:
        found.append(Case(f"{case.name} (reordered)", "domain", "libvirt", reordered(case.xml)))
    for name, (kind, xml) in HANDWRITTEN.items():
        found.append(Case(f"handwritten/{name}", kind, "person", xml))
    return found


def reordered(text: str) -> str:
    """A domain written differently in ways libvirt's parser ignores: the top-level elements and the
    kinds of device in reverse order (elements of one name keep their order), each device's own
    children likewise, and <memory>/<currentMemory> in bytes."""
    root = etree.fromstring(text.encode())
    _reverse_kinds(root)
    devices = root.find("devices")
    if devices is not None:
        _reverse_kinds(devices)
        for device in devices:
            _reverse_kinds(device)
    for tag in ("memory", "currentMemory"):
        el = root.find(tag)
        if el is not None and el.text and el.get("unit", "KiB") == "KiB":
            el.text, el.attrib["unit"] = str(int(el.text) * 1024), "bytes"
    return etree.tostring(root, encoding="unicode")


def _reverse_kinds(parent: Any) -> None:
    groups: dict[Any, list[Any]] = {}
    for child in parent:
        groups.setdefault(child.tag, []).append(child)
    for child in list(parent):
        parent.remove(child)
    for group in reversed(list(groups.values())):
        parent.extend(group)


def libvirt_outcomes(inputs: list[Case]) -> list[dict[str, Any]]:
    """What libvirt 9.0's test driver makes of each input (one python3-libvirt process for all)."""
    payload = json.dumps([[c.kind, c.xml] for c in inputs])
    done = subprocess.run(
        [SYSTEM_PYTHON, str(REFERENCE_SCRIPT)], input=payload, capture_output=True, text=True, timeout=600, check=True
    )
    outcomes: list[dict[str, Any]] = json.loads(done.stdout)
    return outcomes


def _error(exc: Exception) -> list[Any]:
    from virt.errors import VirtError

    if isinstance(exc, VirtError):
        return [int(exc.code), int(exc.domain), exc.message]
    return [-1, -1, f"{type(exc).__name__}: {exc}"]


def virt_outcome(conn: Any, case: Case) -> dict[str, Any]:
    """What virt's test driver makes of one input, in the shape of libvirt_reference.py's results."""
    from virt.errors import VirtError

    try:
        if case.kind == "volume":
            vol = conn.lookup_storage_pool_by_name("default-pool").create_volume(case.xml)
            try:
                text = vol.xml()
                return {"inactive": text, "live": text}
            finally:
                vol.delete()
        define = {"domain": conn.define_domain, "network": conn.define_network, "pool": conn.define_storage_pool}
        obj = define[case.kind](case.xml)
        try:
            # networks and pools are dumped before they start, as their test driver refuses the INACTIVE flag
            result: dict[str, Any] = {"inactive": obj.xml(inactive=case.kind == "domain")}
            try:
                obj.start()
            except VirtError as exc:
                result["live_error"] = _error(exc)
            else:
                result["live"] = obj.xml()
                obj.destroy()
            return result
        finally:
            obj.undefine()
    except Exception as exc:  # noqa: BLE001 - a traceback is an outcome to compare too
        return {"error": _error(exc)}


def canon(text: str, *, generated_uuid: bool) -> Any:
    """The document as nested tuples; what each side draws for itself (a running domain's id, the
    UUID of an input without one) is blanked out."""
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(text.encode(), parser)
    if root.tag == "domain" and "id" in root.attrib:
        root.set("id", "N")
    uuid = root.find("uuid")
    if generated_uuid and uuid is not None:
        uuid.text = "generated"
    for mac in root.iterfind("devices/interface/mac"):
        if mac.get("address", "").startswith("52:54:00:") and generated_uuid:
            mac.set("address", "generated")
    return _walk(root)


def _walk(e: Any) -> Any:
    if not isinstance(e.tag, str):
        return None
    value = e.text if e.text and e.text.strip() else None
    kids = [k for k in (_walk(c) for c in e) if k is not None]
    return (e.tag, tuple(sorted(e.attrib.items())), value, tuple(kids))


def differences(ours: Any, theirs: Any, path: str = "") -> Iterator[str]:
    """Element paths where two canonical trees differ (``/a/b@attr``, ``/a/b#text``, ``/a/b+`` for an
    element only libvirt has, ``/a/b-`` for one only virt has)."""
    tag, attrs_, text_, kids = ours
    _, their_attrs, their_text, their_kids = theirs
    here = f"{path}/{tag}"
    mine, other = dict(attrs_), dict(their_attrs)
    for name in sorted(set(mine) | set(other)):
        if mine.get(name) != other.get(name):
            yield f"{here}@{name}"
    if text_ != their_text:
        yield f"{here}#text"
    by_tag: dict[str, list[Any]] = collections.defaultdict(list)
    their_by_tag: dict[str, list[Any]] = collections.defaultdict(list)
    for kid in kids:
        by_tag[kid[0]].append(kid)
    for kid in their_kids:
        their_by_tag[kid[0]].append(kid)
    for name in list(dict.fromkeys([*by_tag, *their_by_tag])):
        a, b = by_tag.get(name, []), their_by_tag.get(name, [])
        # Aligned as a diff aligns lines, so one element more does not make all after it differ.
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op == "equal":
                continue
            for x, y in zip(a[i1:i2], b[j1:j2], strict=False):
                yield from differences(x, y, here)
            for _ in range(j2 - j1, i2 - i1):
                yield f"{here}/{name}-"
            for _ in range(i2 - i1, j2 - j1):
                yield f"{here}/{name}+"
    if [k[0] for k in kids] != [k[0] for k in their_kids] and sorted(by_tag) == sorted(their_by_tag):
        yield f"{here}:order"


def compare(ours: dict[str, Any], theirs: dict[str, Any], *, generated_uuid: bool = False) -> list[str]:
    """What differs between two outcomes (empty: the same)."""
    if "error" in theirs or "error" in ours:
        if "error" in theirs and "error" in ours:
            return [] if ours["error"][:2] == theirs["error"][:2] else [f"error {ours['error']} vs {theirs['error']}"]
        if "error" in theirs:
            return [f"libvirt refuses {theirs['error']}"]
        return [f"virt refuses {ours['error']}"]
    found: list[str] = []
    for view in ("inactive", "live"):
        if view in ours and view in theirs:
            found += [
                f"{view}:{d}"
                for d in differences(
                    canon(ours[view], generated_uuid=generated_uuid), canon(theirs[view], generated_uuid=generated_uuid)
                )
            ]
        elif view in ours or view in theirs:
            found.append(f"{view}: {ours.get(view + '_error')} vs {theirs.get(view + '_error')}")
    return found


def run(conformance: Path) -> list[tuple[Case, list[str]]]:
    import virt

    inputs = cases(conformance)
    reference = libvirt_outcomes(inputs)
    conn = virt.open("test:///default")
    try:
        return [
            (case, compare(virt_outcome(conn, case), theirs, generated_uuid=case.generates_uuid))
            for case, theirs in zip(inputs, reference, strict=True)
        ]
    finally:
        conn.close()


def report(results: Iterable[tuple[Case, list[str]]]) -> str:
    totals: collections.Counter[tuple[str, str]] = collections.Counter()
    same: collections.Counter[tuple[str, str]] = collections.Counter()
    paths: collections.Counter[str] = collections.Counter()
    lines: list[str] = []
    for case, found in results:
        totals[case.kind, case.author] += 1
        if not found:
            same[case.kind, case.author] += 1
        else:
            lines.append(f"  {case.name}: {'; '.join(found[:6])}")
        paths.update(set(found))
    out = [f"{kind:8} {author:8} {same[kind, author]}/{n} same" for (kind, author), n in sorted(totals.items())]
    out += ["differing paths:"] + [f"  {n:4} {p}" for p, n in paths.most_common()]
    return "\n".join([*out, "differing cases:", *lines])


if __name__ == "__main__":
    print(report(run(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/conformance"))))
