"""Storage Pool and Storage Volume: ``pool-list``, ``vol-list``."""

from __future__ import annotations

import argparse

from virt.cli.commands.network import either, yes_no
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry, complete_pools

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def pretty_capacity(value: int, decimals: int = 2) -> str:
    """virsh's vshPrettyCapacity: ``100.00 GiB`` (domjobinfo and migrate-compcache print 3 decimals)."""
    amount = float(value)
    for unit in _UNITS:
        if amount < 1024 or unit == _UNITS[-1]:
            return f"{amount:.{decimals}f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")


def run_pool_list(ctx: Context, args: argparse.Namespace) -> None:
    active = None if args.all else not args.inactive
    pools = ctx.conn.list_storage_pools(
        active=active,
        persistent=either(args.persistent, args.transient),
        autostart=either(args.autostart, args.no_autostart),
    )
    if args.type:
        wanted = {t.strip() for t in args.type.split(",")}
        pools = [p for p in pools if p.model().type in wanted]
    pools.sort(key=lambda p: p.name.lower())
    if args.name or args.uuid:
        for pool in pools:
            text = f"{pool.uuid!s:<36}{' ' if args.name else ''}" if args.uuid else ""
            ctx.print(text + (f"{pool.name:<20}" if args.name else ""))
        return
    infos = [p.info() for p in pools]
    if args.json:
        ctx.json(
            [
                {
                    "name": p.name,
                    "uuid": str(p.uuid),
                    "state": "running" if i.active else "inactive",
                    "autostart": p.autostart,
                    "persistent": p.is_persistent(),
                    "capacity": i.capacity if i.active else None,
                    "allocation": i.allocation if i.active else None,
                    "available": i.available if i.active else None,
                }
                for p, i in zip(pools, infos, strict=True)
            ]
        )
        return
    if not args.details:
        rows = [
            [p.name, "active" if i.active else "inactive", yes_no(p.autostart)]
            for p, i in zip(pools, infos, strict=True)
        ]
        ctx.table(["Name", "State", "Autostart"], rows)
        return
    rows = []
    for pool, info in zip(pools, infos, strict=True):
        sizes = (
            [pretty_capacity(s) for s in (info.capacity, info.allocation, info.available)] if info.active else ["-"] * 3
        )
        rows.append(
            [
                pool.name,
                "running" if info.active else "inactive",
                yes_no(pool.autostart),
                yes_no(pool.is_persistent()),
                *sizes,
            ]
        )
    ctx.table(["Name", "State", "Autostart", "Persistent", "Capacity", "Allocation", "Available"], rows)


def run_vol_list(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    pool = ctx.pool(args.pool)
    try:
        volumes = sorted(pool.list_volumes(), key=lambda v: v.name)
    except VirtError as exc:
        raise CommandError("Failed to list volumes", exc.message) from exc
    paths = [v.path() for v in volumes]
    if args.json:
        records = []
        for volume, path in zip(volumes, paths, strict=True):
            info = volume.info()
            records.append(
                {
                    "name": volume.name,
                    "path": path,
                    "type": info.type,
                    "capacity": info.capacity,
                    "allocation": info.allocation,
                }
            )
        ctx.json(records)
        return
    if not args.details:
        ctx.table(["Name", "Path"], [[v.name, p] for v, p in zip(volumes, paths, strict=True)])
        return
    rows = []
    for volume, path in zip(volumes, paths, strict=True):
        info = volume.info()
        rows.append([volume.name, path, info.type, pretty_capacity(info.capacity), pretty_capacity(info.allocation)])
    ctx.table(["Name", "Path", "Type", "Capacity", "Allocation"], rows)


def register(commands: CommandRegistry) -> None:
    flags = [
        ("--inactive", "list inactive pools"),
        ("--all", "list inactive & active pools"),
        ("--transient", "list transient pools"),
        ("--persistent", "list persistent pools"),
        ("--autostart", "list pools with autostart enabled"),
        ("--no-autostart", "list pools with autostart disabled"),
    ]
    commands.add(
        "pool-list",
        run_pool_list,
        group="Storage Pool",
        help="list pools",
        description="Returns list of pools.",
        arguments=[
            *(Argument(name, flag=True, help=help) for name, help in flags),
            Argument("--type", help="only list pool of specified type(s) (if supported)"),
            Argument("--details", flag=True, help="display extended details for pools"),
            Argument("--uuid", flag=True, help="list UUID of active pools only"),
            Argument("--name", flag=True, help="list name of active pools only"),
        ],
        json=True,
    )
    commands.add(
        "vol-list",
        run_vol_list,
        group="Storage Volume",
        help="list vols",
        description="Returns list of vols by pool.",
        arguments=[
            Argument("pool", positional=True, required=True, completer=complete_pools, help="pool name or uuid"),
            Argument("--details", flag=True, help="display extended details for volumes"),
        ],
        json=True,
    )
