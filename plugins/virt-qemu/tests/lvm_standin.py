#!/usr/bin/python3
"""A stand-in for lvm2's tools (pvcreate, pvremove, pvs, vgcreate, vgremove, vgchange, vgs, vgscan,
lvcreate, lvremove, lvchange, lvs), for hosts whose kernel has no device-mapper: which tool it is
comes from the name it is run by (it is bind-mounted over /usr/sbin/<tool> in a test's private mount
namespace). It takes lvm2's command lines and prints what lvm2 prints for them, refusing what it does
not know as lvm2 does. Its volume groups live in a JSON file under /run/lvm (a private tmpfs in the
test's namespace); a logical volume is a sparse regular file at the path lvm gives it, /dev/VG/LV
(the test puts a private tmpfs over /dev/VG). Physical volumes are regular files or block devices.

Runs under Debian's /usr/bin/python3 without the project: the standard library only.
"""

from __future__ import annotations

import json
import os
import random
import string
import sys
from pathlib import Path

STATE = Path("/run/lvm/standin-state.json")
EXTENT = 4 * 2**20  # lvm2's default physical extent size
PE_START = 2**20  # where lvm2 puts the first extent: after the label and metadata area
UNITS = {"b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


class Refused(Exception):
    def __init__(self, message: str, status: int = 5) -> None:
        super().__init__(message)
        self.status = status


def load() -> dict:
    try:
        return json.loads(STATE.read_text())
    except FileNotFoundError:
        return {"pvs": {}, "vgs": {}}


def save(state: dict) -> None:
    STATE.parent.mkdir(parents=True, exist_ok=True)
    partial = STATE.with_suffix(".partial")
    partial.write_text(json.dumps(state, indent=1))
    partial.replace(STATE)


def lvm_uuid() -> str:
    """An LVM UUID: 32 characters in groups of 6-4-4-4-4-4-6."""
    chars = string.ascii_letters + string.digits
    raw = "".join(random.choice(chars) for _ in range(32))
    cuts = [6, 4, 4, 4, 4, 4, 6]
    parts, at = [], 0
    for size in cuts:
        parts.append(raw[at : at + size])
        at += size
    return "-".join(parts)


_CRC_TABLE = (
    0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4, 0x4DB26158, 0x5005713C,
    0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C, 0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
)  # fmt: skip


def label_crc(data: bytes) -> int:
    """lvm2's label checksum (CRC-32 by nibbles from 0xf597a6cf, no final xor), as blkid checks it."""
    crc = 0xF597A6CF
    for byte in data:
        crc ^= byte
        crc = (crc >> 4) ^ _CRC_TABLE[crc & 0xF]
        crc = (crc >> 4) ^ _CRC_TABLE[crc & 0xF]
    return crc


def write_label(device: str, pv_uuid: str, size: int) -> None:
    """lvm2's PV label in the second sector (LABELONE, type LVM2 001, the PV's UUID and size): what
    blkid finds as LVM2_member."""
    body = bytearray(512)
    body[0:8] = b"LABELONE"
    body[8:16] = (1).to_bytes(8, "little")
    body[20:24] = (32).to_bytes(4, "little")
    body[24:32] = b"LVM2 001"
    body[32:64] = pv_uuid.replace("-", "").encode()
    body[64:72] = size.to_bytes(8, "little")
    body[16:20] = label_crc(bytes(body[20:])).to_bytes(4, "little")
    with open(device, "r+b") as out:
        out.seek(512)
        out.write(bytes(body))


def wipe_label(device: str) -> None:
    with open(device, "r+b") as out:
        out.seek(512)
        out.write(bytes(512))


def device_size(path: str) -> int:
    with open(path, "rb") as device:
        return device.seek(0, os.SEEK_END)


def parse(tool: str, argv: list[str], flags: dict[str, tuple[str, ...]], valued: dict[str, tuple[str, ...]]):
    """lvm2's option parsing for the options this stand-in knows: (flags seen, values, positional)."""
    seen: set[str] = set()
    values: dict[str, str] = {}
    positional: list[str] = []
    names = {alias: key for key, aliases in flags.items() for alias in aliases}
    takes = {alias: key for key, aliases in valued.items() for alias in aliases}
    index = 0
    while index < len(argv):
        arg = argv[index]
        index += 1
        if arg.startswith("--"):
            name, _, inline = arg.partition("=")
            if name in names:
                seen.add(names[name])
            elif name in takes:
                if not inline:
                    if index >= len(argv):
                        raise Refused(
                            f"{sys.argv[0]}: option '{name}' requires an argument\n  Error during parsing of command line.",
                            3,
                        )
                    inline = argv[index]
                    index += 1
                values[takes[name]] = inline
            else:
                raise Refused(f"{sys.argv[0]}: unrecognized option '{arg}'\n  Error during parsing of command line.", 3)
        elif arg.startswith("-") and len(arg) > 1:
            short = arg[:2]
            if short in takes:
                value = arg[2:] or (argv[index] if index < len(argv) else "")
                if not arg[2:]:
                    index += 1
                values[takes[short]] = value
            else:
                for letter in arg[1:]:
                    if f"-{letter}" not in names:
                        raise Refused(
                            f"{sys.argv[0]}: invalid option -- '{letter}'\n  Error during parsing of command line.", 3
                        )
                    seen.add(names[f"-{letter}"])
        else:
            positional.append(arg)
    return seen, values, positional


def size_arg(text: str, default_unit: str = "m") -> int:
    number = text.rstrip("bBkKmMgGtT")
    unit = (text[len(number) :] or default_unit).lower()
    try:
        return int(float(number) * UNITS[unit])
    except (ValueError, KeyError):
        raise Refused(f"  Invalid argument for --size: {text}\n  Error during parsing of command line.", 3) from None


# -- physical volumes ------------------------------------------------------------------------------
def pvcreate(argv: list[str]) -> str:
    _, _, devices = parse("pvcreate", argv, {"force": ("-f", "--force"), "yes": ("-y", "--yes")}, {})
    if not devices:
        raise Refused("  Please enter a physical volume path.\n  Run `pvcreate --help' for more information.", 3)
    state, said = load(), []
    for device in devices:
        if not Path(device).exists():
            raise Refused(f"  No device found for {device}.")
        size = device_size(device)
        if size < PE_START + EXTENT:
            raise Refused(f"  Cannot use {device}: device is too small (pv_min_size)")
        if device in state["pvs"] and state["pvs"][device]["vg"]:
            raise Refused(
                f'  Can\'t initialize physical volume "{device}" of volume group "{state["pvs"][device]["vg"]}" without -ff\n  {device}: physical volume not initialized.'
            )
        state["pvs"][device] = {"uuid": lvm_uuid(), "size": size, "vg": ""}
        write_label(device, state["pvs"][device]["uuid"], size)
        said.append(f'  Physical volume "{device}" successfully created.')
    save(state)
    return "\n".join(said)


def pvremove(argv: list[str]) -> str:
    _, _, devices = parse("pvremove", argv, {"force": ("-f", "--force"), "yes": ("-y", "--yes")}, {})
    state, said = load(), []
    for device in devices:
        pv = state["pvs"].get(device)
        if pv is None:
            raise Refused(f"  No PV found on device {device}.")
        if pv["vg"]:
            raise Refused(
                f"  PV {device} is used by VG {pv['vg']} so please use vgreduce first.\n  (If you are certain you need pvremove, then confirm by using --force twice.)\n  {device}: physical volume label not removed."
            )
        del state["pvs"][device]
        wipe_label(device)
        said.append(f'  Labels on physical volume "{device}" successfully wiped.')
    save(state)
    return "\n".join(said)


def pvs(argv: list[str]) -> str:
    seen, values, wanted = parse("pvs", argv, {"noheadings": ("--noheadings",)}, {"options": ("-o", "--options")})
    fields = values.get("options", "pv_name,vg_name,pv_fmt,pv_attr,pv_size,pv_free").split(",")
    state = load()
    rows = []
    for device, pv in sorted(state["pvs"].items()):
        if wanted and device not in wanted:
            continue
        known = {"pv_name": device, "vg_name": pv["vg"], "pv_uuid": pv["uuid"], "pv_fmt": "lvm2"}
        try:
            rows.append([known[field] for field in fields])
        except KeyError as unknown:
            raise Refused(f"  Unrecognised field: {unknown.args[0]}") from None
    return table(rows, fields, "noheadings" in seen, None, right=())


def table(
    rows: list[list[str]], fields: list[str], noheadings: bool, separator: str | None, right: tuple[str, ...]
) -> str:
    """lvm2's report: aligned columns with two leading spaces, or fields joined by the separator."""
    if separator is not None:
        return "\n".join("  " + separator.join(row) for row in rows)
    widths = [max([len(row[i]) for row in rows] + [0]) for i in range(len(fields))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if field in right else cell.ljust(width)
            for cell, width, field in zip(row, widths, fields, strict=False)
        ]
        lines.append(("  " + " ".join(cells)).rstrip())
    return "\n".join(lines)


# -- volume groups ---------------------------------------------------------------------------------
def extents_of(state: dict, device: str) -> int:
    return (state["pvs"][device]["size"] - PE_START) // EXTENT


def used_extents(vg: dict) -> dict[str, list[tuple[int, int]]]:
    used: dict[str, list[tuple[int, int]]] = {}
    for lv in vg["lvs"].values():
        for segment in lv["segments"]:
            used.setdefault(segment["pv"], []).append((segment["start"], segment["count"]))
    return used


def free_extents(state: dict, vg: dict) -> int:
    total = sum(extents_of(state, pv) for pv in vg["pvs"])
    return total - sum(count for runs in used_extents(vg).values() for _, count in runs)


def vgcreate(argv: list[str]) -> str:
    _, _, positional = parse("vgcreate", argv, {"force": ("-f", "--force"), "yes": ("-y", "--yes")}, {})
    if len(positional) < 2:
        raise Refused(
            "  Please provide volume group name and physical volumes\n  Run `vgcreate --help' for more information.", 3
        )
    name, devices = positional[0], positional[1:]
    state = load()
    if name in state["vgs"]:
        raise Refused(f"  /dev/{name}: already exists in filesystem\n  Run `vgcreate --help' for more information.", 3)
    for device in devices:
        pv = state["pvs"].get(device)
        if pv is None:  # as lvm2 does since 2.02: the device becomes a PV on the way
            if not Path(device).exists():
                raise Refused(f"  No device found for {device}.")
            pvcreate([device])
            state = load()
        elif pv["vg"]:
            raise Refused(
                f"  Physical volume '{device}' is already in volume group '{pv['vg']}'\n  Unable to add physical volume '{device}' to volume group '{name}'\n  {device}: physical volume not initialized."
            )
    for device in devices:
        state["pvs"][device]["vg"] = name
    state["vgs"][name] = {"uuid": lvm_uuid(), "pvs": devices, "lvs": {}}
    save(state)
    return f'  Volume group "{name}" successfully created'


def the_vg(state: dict, name: str) -> dict:
    vg = state["vgs"].get(name)
    if vg is None:
        raise Refused(f'  Volume group "{name}" not found\n  Cannot process volume group {name}')
    return vg


def vgremove(argv: list[str]) -> str:
    seen, _, names = parse("vgremove", argv, {"force": ("-f", "--force"), "yes": ("-y", "--yes")}, {})
    state, said = load(), []
    for name in names:
        vg = the_vg(state, name)
        if vg["lvs"] and "force" not in seen:
            raise Refused(f'  Volume group "{name}" still contains {len(vg["lvs"])} logical volume(s)')
        for lv_name in list(vg["lvs"]):
            drop_lv(name, lv_name)
            said.append(f'  Logical volume "{lv_name}" successfully removed.')
        for device in vg["pvs"]:
            state["pvs"][device]["vg"] = ""
        del state["vgs"][name]
        said.append(f'  Volume group "{name}" successfully removed')
    save(state)
    return "\n".join(said)


def vgchange(argv: list[str]) -> str:
    _, values, names = parse("vgchange", argv, {}, {"activate": ("-a", "--activate")})
    wanted = values.get("activate")
    if wanted not in ("y", "n", "ly", "ln", "ay", "an"):
        raise Refused(f"  Invalid argument for --activate: {wanted}\n  Error during parsing of command line.", 3)
    state, said = load(), []
    for name in names:
        vg = the_vg(state, name)
        for lv_name, lv in vg["lvs"].items():
            lv["active"] = wanted.endswith("y")
            path = Path(f"/dev/{name}/{lv_name}")
            if lv["active"] and not path.exists():  # the data stays on the PVs while inactive
                path.symlink_to(lv["data"])  # as lvm2: /dev/VG/LV links to the device
            elif not lv["active"] and path.is_symlink():
                path.unlink()
        active = sum(1 for lv in vg["lvs"].values() if lv["active"])
        said.append(f'  {active} logical volume(s) in volume group "{name}" now active')
    save(state)
    return "\n".join(said)


def vgscan(argv: list[str]) -> str:
    parse("vgscan", argv, {}, {})
    return "\n".join(f'  Found volume group "{name}" using metadata type lvm2' for name in sorted(load()["vgs"]))


def report_options(tool: str, argv: list[str]):
    return parse(
        tool,
        argv,
        {"noheadings": ("--noheadings",), "unbuffered": ("--unbuffered",), "nosuffix": ("--nosuffix",)},
        {"options": ("-o", "--options"), "separator": ("--separator",), "units": ("--units",)},
    )


def vgs(argv: list[str]) -> str:
    seen, values, names = report_options("vgs", argv)
    state = load()
    fields = values.get("options", "vg_name,pv_count,lv_count,vg_attr,vg_size,vg_free").split(",")
    rows = []
    for name in names or sorted(state["vgs"]):
        vg = the_vg(state, name)
        total = sum(extents_of(state, pv) for pv in vg["pvs"]) * EXTENT
        known = {
            "vg_name": name,
            "vg_uuid": vg["uuid"],
            "pv_count": str(len(vg["pvs"])),
            "lv_count": str(len(vg["lvs"])),
            "vg_attr": "wz--n-",
            "vg_size": str(total),
            "vg_free": str(free_extents(state, vg) * EXTENT),
            "vg_extent_size": str(EXTENT),
        }
        try:
            rows.append([known[field] for field in fields])
        except KeyError as unknown:
            raise Refused(f"  Unrecognised field: {unknown.args[0]}") from None
    return table(rows, fields, "noheadings" in seen, values.get("separator"), right=("vg_size", "vg_free"))


# -- logical volumes -------------------------------------------------------------------------------
def data_file(vg: str, lv_uuid: str) -> str:
    return f"/run/lvm/standin-data/{vg}-{lv_uuid}"


def allocate(state: dict, vg_name: str, vg: dict, count: int) -> list[dict]:
    """The first run of ``count`` free extents on one PV, as lvm2's normal policy finds for one segment."""
    used = used_extents(vg)
    for device in vg["pvs"]:
        runs = sorted(used.get(device, []))
        at = 0
        for start, length in [*runs, (extents_of(state, device), 0)]:
            if start - at >= count:
                return [{"pv": device, "start": at, "count": count}]
            at = max(at, start + length)
    raise Refused(
        f'  Volume group "{vg_name}" has insufficient free space ({free_extents(state, vg)} extents): {count} required.'
    )


def lvcreate(argv: list[str]) -> str:
    _seen, values, positional = parse(
        "lvcreate",
        argv,
        {"yes": ("-y", "--yes")},
        {
            "name": ("-n", "--name"),
            "size": ("-L", "--size"),
            "virtualsize": ("-V", "--virtualsize"),
            "type": ("--type",),
            "snapshot": ("-s", "--snapshot"),
        },
    )
    if "snapshot" in values:  # -s takes the origin: lvcreate -s ORIGIN
        positional.insert(0, values.pop("snapshot"))
        raise Refused("  Snapshots of an existing LV are not kept by this stand-in.")
    if len(positional) != 1 or "name" not in values or "size" not in values:
        raise Refused("  Please specify either size or extents\n  Run `lvcreate --help' for more information.", 3)
    vg_name, name = positional[0], values["name"]
    state = load()
    vg = the_vg(state, vg_name)
    if name in vg["lvs"]:
        raise Refused(f'  Logical Volume "{name}" already exists in volume group "{vg_name}"')
    size = size_arg(values["size"])
    count = -(-size // EXTENT)
    said = []
    if count * EXTENT != size:
        said.append(f"  Rounding up size to full physical extent {count * EXTENT / 2**20:.2f} MiB")
    capacity = count * EXTENT
    sparse = "virtualsize" in values
    if sparse:
        if values.get("type", "snapshot") != "snapshot":
            raise Refused(f"  Option --virtualsize is not allowed with --type {values['type']}", 3)
        capacity = -(-size_arg(values["virtualsize"]) // EXTENT) * EXTENT
    elif "type" in values and values["type"] not in ("linear", "striped"):
        raise Refused(f"  Invalid argument for --type: {values['type']}", 3)
    lv_uuid = lvm_uuid()
    segments = allocate(state, vg_name, vg, count)
    Path("/run/lvm/standin-data").mkdir(parents=True, exist_ok=True)
    with open(data_file(vg_name, lv_uuid), "wb") as data:
        data.truncate(capacity)
    Path(f"/dev/{vg_name}/{name}").symlink_to(data_file(vg_name, lv_uuid))
    vg["lvs"][name] = {
        "uuid": lv_uuid,
        "size": count * EXTENT,
        "sparse": sparse,
        "segments": segments,
        "active": True,
        "data": data_file(vg_name, lv_uuid),
    }
    save(state)
    said.append(f'  Logical volume "{name}" created.')
    return "\n".join(said)


def lv_by_path(state: dict, path: str) -> tuple[str, str]:
    vg_name, _, lv_name = path.removeprefix("/dev/").partition("/")
    if vg_name not in state["vgs"] or lv_name not in state["vgs"][vg_name]["lvs"]:
        raise Refused(f'  Failed to find logical volume "{vg_name}/{lv_name}"')
    return vg_name, lv_name


def drop_lv(vg_name: str, lv_name: str) -> None:
    state = load()
    lv = state["vgs"][vg_name]["lvs"][lv_name]
    for path in (f"/dev/{vg_name}/{lv_name}", lv["data"]):
        Path(path).unlink(missing_ok=True)


def lvremove(argv: list[str]) -> str:
    _, _, paths = parse("lvremove", argv, {"force": ("-f", "--force"), "yes": ("-y", "--yes")}, {})
    state, said = load(), []
    for path in paths:
        vg_name, lv_name = lv_by_path(state, path)
        drop_lv(vg_name, lv_name)
        del state["vgs"][vg_name]["lvs"][lv_name]
        said.append(f'  Logical volume "{lv_name}" successfully removed.')
    save(state)
    return "\n".join(said)


def lvchange(argv: list[str]) -> str:
    _, values, paths = parse("lvchange", argv, {}, {"activate": ("-a", "--activate")})
    state = load()
    for path in paths:
        vg_name, lv_name = lv_by_path(state, path)
        lv = state["vgs"][vg_name]["lvs"][lv_name]
        lv["active"] = values.get("activate", "y").endswith("y")
        device = Path(f"/dev/{vg_name}/{lv_name}")
        if lv["active"] and not device.exists():
            device.symlink_to(lv["data"])
        elif not lv["active"]:
            device.unlink(missing_ok=True)
    save(state)
    return ""


def lvs(argv: list[str]) -> str:
    seen, values, names = report_options("lvs", argv)
    state = load()
    fields = values.get("options", "lv_name,vg_name,lv_attr,lv_size").split(",")
    rows = []
    for vg_name in names or sorted(state["vgs"]):
        vg = the_vg(state, vg_name)
        for lv_name, lv in sorted(vg["lvs"].items()):
            for segment in lv["segments"]:
                attr = (
                    ("s" if lv["sparse"] else "-")
                    + "wi-"
                    + ("a" if lv["active"] else "-")
                    + ("-s" if lv["sparse"] else "--")
                    + "---"
                )
                known = {
                    "lv_name": lv_name,
                    "vg_name": vg_name,
                    "origin": f"[{lv_name}_vorigin]" if lv["sparse"] else "",
                    "uuid": lv["uuid"],
                    "lv_uuid": lv["uuid"],
                    "devices": f"{segment['pv']}({segment['start']})",
                    "segtype": "linear",
                    "stripes": "1",
                    "seg_size": str(segment["count"] * EXTENT),
                    "vg_extent_size": str(EXTENT),
                    "size": str(lv["size"]),
                    "lv_size": str(lv["size"]),
                    "lv_attr": attr,
                }
                try:
                    rows.append([known[field] for field in fields])
                except KeyError as unknown:
                    raise Refused(f"  Unrecognised field: {unknown.args[0]}") from None
    return table(rows, fields, "noheadings" in seen, values.get("separator"), right=("size", "lv_size", "seg_size"))


TOOLS = {
    "pvcreate": pvcreate,
    "pvremove": pvremove,
    "pvs": pvs,
    "vgcreate": vgcreate,
    "vgremove": vgremove,
    "vgchange": vgchange,
    "vgscan": vgscan,
    "vgs": vgs,
    "lvcreate": lvcreate,
    "lvremove": lvremove,
    "lvchange": lvchange,
    "lvs": lvs,
}


def main() -> int:
    tool = Path(sys.argv[0]).name
    if tool not in TOOLS:
        print(f"{tool}: not an LVM command this stand-in knows", file=sys.stderr)
        return 3
    log = os.environ.get("LVM_STANDIN_LOG") or "/run/lvm/standin-calls.log"
    with open(log, "a") as calls:
        calls.write(" ".join([tool, *sys.argv[1:]]) + "\n")
    try:
        said = TOOLS[tool](sys.argv[1:])
    except Refused as refused:
        print(str(refused), file=sys.stderr)
        return refused.status
    if said:
        print(said)
    return 0


if __name__ == "__main__":
    sys.exit(main())
