"""Domain Monitoring: ``list``, ``dominfo``, ``domstate``."""

from __future__ import annotations

import argparse
from typing import Any

from virt.cli.commands.domain import domain_argument
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry
from virt.connection import Domain
from virt.states import DomainState, reason_label

GROUP = "Domain Monitoring"


def _either(yes: bool, no: bool) -> bool | None:
    """A filter from a pair of opposite flags: None when neither or both are given."""
    return yes if yes != no else None


def _sort_key(domain: Domain) -> tuple[int, int, str]:
    # virsh's order: running domains by id, then the others by name, case-insensitively.
    domain_id = domain.ref.id
    return (0, domain_id, "") if domain_id != -1 else (1, 0, domain.name.lower())


def list_domains(ctx: Context, args: argparse.Namespace) -> list[Domain]:
    """The domains the ``list`` flags select, in virsh's order."""
    from virt.info import DomainFilter

    states = DomainFilter.selected_states(
        running=args.state_running, paused=args.state_paused, shutoff=args.state_shutoff, other=args.state_other
    )
    active: bool | None = None
    if args.inactive and not args.all:
        active = False
    elif not args.all and not states:
        active = True
    domains = ctx.conn.list_domains(
        active=active,
        persistent=_either(args.persistent, args.transient),
        states=states,
        autostart=_either(args.autostart, args.no_autostart),
        managed_save=_either(args.with_managed_save, args.without_managed_save),
        has_snapshot=_either(args.with_snapshot, args.without_snapshot),
        has_checkpoint=_either(args.with_checkpoint, args.without_checkpoint),
    )
    return sorted(domains, key=_sort_key)


def _state_label(domain: Domain, managed_save: bool) -> str:
    state = domain.state().state
    if managed_save and state == DomainState.SHUTOFF and domain.has_managed_save():
        return "saved"
    return state.label


def _title(domain: Domain) -> str:
    title = domain.model(inactive=not domain.is_active()).title or ""
    return title.split("\n", 1)[0]


def run_list(ctx: Context, args: argparse.Namespace) -> None:
    if sum((args.table, args.name, args.uuid)) > 1 and args.table:
        raise CommandError("Only one argument from --table, --name and --uuid may be specified.")
    domains = list_domains(ctx, args)
    if args.json:
        ctx.json([_domain_record(d, title=args.title) for d in domains])
        return
    if args.id:
        for domain in domains:
            if domain.ref.id != -1:
                ctx.print(str(domain.ref.id))
        return
    if args.name or args.uuid:
        for domain in domains:
            if args.name and args.uuid:
                ctx.print(f"{domain.uuid!s:<36} {domain.name}")
            else:
                ctx.print(domain.name if args.name else str(domain.uuid))
        return
    headers = ["Id", "Name", "State"] + (["Title"] if args.title else [])
    rows = []
    for domain in domains:
        row = ["-" if domain.ref.id == -1 else str(domain.ref.id), domain.name, _state_label(domain, args.managed_save)]
        if args.title:
            row.append(_title(domain))
        rows.append(row)
    ctx.table(headers, rows)


def _domain_record(domain: Domain, *, title: bool = False) -> dict[str, Any]:
    state = domain.state()
    record: dict[str, Any] = {
        "id": None if domain.ref.id == -1 else domain.ref.id,
        "name": domain.name,
        "uuid": str(domain.uuid),
        "state": state.state.label,
        "reason": reason_label(state.state, state.reason),
        "persistent": domain.is_persistent(),
    }
    if title:
        record["title"] = _title(domain)
    return record


def _os_type(domain: Domain) -> str | None:
    from virt.errors import NotSupported

    try:
        return domain.os_type()
    except NotSupported:
        model = domain.model()
        return model.os.type.name if model.os and model.os.type else None


def run_dominfo(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import NotSupported, VirtError

    domain = ctx.domain(args.domain)
    info = domain.info()
    domain_id = domain.id
    try:
        persistent: bool | None = domain.is_persistent()
    except VirtError:
        persistent = None
    try:
        autostart: bool | None = domain.autostart
    except VirtError:
        autostart = None
    try:
        managed_save: bool | None = domain.has_managed_save()
    except VirtError:
        managed_save = None
    try:
        label = domain.security_label()
    except NotSupported:
        label = None
    os_type = _os_type(domain)
    if args.json:
        record = {
            "id": None if domain_id == -1 else domain_id,
            "name": domain.name,
            "uuid": str(domain.uuid),
            "os_type": os_type,
            "state": info.state.label,
            "vcpus": info.vcpus,
            "cpu_time_ns": info.cpu_time_ns,
            "max_memory_kib": info.max_memory_kib,
            "memory_kib": info.memory_kib,
            "persistent": persistent,
            "autostart": autostart,
            "managed_save": managed_save,
            "security": None
            if label is None
            else {"model": label.model, "doi": label.doi, "label": label.label, "enforcing": label.enforcing},
        }
        ctx.json(record)
        return
    lines = [("Id:", "-" if domain_id == -1 else str(domain_id)), ("Name:", domain.name), ("UUID:", str(domain.uuid))]
    if os_type:
        lines.append(("OS Type:", os_type))
    lines += [("State:", info.state.label), ("CPU(s):", str(info.vcpus))]
    if info.cpu_time_ns:
        lines.append(("CPU time:", f"{info.cpu_time_ns / 1e9:.1f}s"))
    lines += [
        ("Max memory:", "no limit" if info.max_memory_kib >= 2**32 - 1 else f"{info.max_memory_kib} KiB"),
        ("Used memory:", f"{info.memory_kib} KiB"),
        ("Persistent:", "unknown" if persistent is None else "yes" if persistent else "no"),
    ]
    if autostart is not None:
        lines.append(("Autostart:", "enable" if autostart else "disable"))
    lines.append(("Managed save:", "unknown" if managed_save is None else "yes" if managed_save else "no"))
    if label is not None and label.model:
        lines += [("Security model:", label.model), ("Security DOI:", label.doi)]
        if label.label:
            lines.append(("Security label:", f"{label.label} ({'enforcing' if label.enforcing else 'permissive'})"))
    for name, value in lines:
        ctx.print(f"{name:<15} {value}")


def run_domstate(ctx: Context, args: argparse.Namespace) -> None:
    state = ctx.domain(args.domain).state()
    reason = reason_label(state.state, state.reason)
    if args.json:
        ctx.json({"state": state.state.label, "reason": reason})
    elif args.reason:
        ctx.print(f"{state.state.label} ({reason})")
    else:
        ctx.print(state.state.label)


_LIST_FLAGS = (
    ("--inactive", "list inactive domains"),
    ("--all", "list inactive & active domains"),
    ("--transient", "list transient domains"),
    ("--persistent", "list persistent domains"),
    ("--with-snapshot", "list domains with existing snapshot"),
    ("--without-snapshot", "list domains without a snapshot"),
    ("--with-checkpoint", "list domains with existing checkpoint"),
    ("--without-checkpoint", "list domains without a checkpoint"),
    ("--state-running", "list domains in running state"),
    ("--state-paused", "list domains in paused state"),
    ("--state-shutoff", "list domains in shutoff state"),
    ("--state-other", "list domains in other states"),
    ("--autostart", "list domains with autostart enabled"),
    ("--no-autostart", "list domains with autostart disabled"),
    ("--with-managed-save", "list domains with managed save state"),
    ("--without-managed-save", "list domains without managed save"),
    ("--uuid", "list uuid's only"),
    ("--name", "list domain names only"),
    ("--id", "list domain IDs only"),
    ("--table", "list table (default)"),
    ("--managed-save", "mark inactive domains with managed save state"),
    ("--title", "show domain title"),
)


def register(commands: CommandRegistry) -> None:
    commands.add(
        "list",
        run_list,
        group=GROUP,
        help="list domains",
        description="Returns list of domains.",
        arguments=[Argument(name, flag=True, help=help) for name, help in _LIST_FLAGS],
        json=True,
    )
    commands.add(
        "dominfo",
        run_dominfo,
        group=GROUP,
        help="domain information",
        description="Returns basic information about the domain.",
        arguments=[domain_argument()],
        json=True,
    )
    commands.add(
        "domstate",
        run_domstate,
        group=GROUP,
        help="domain state",
        description="Returns state about a domain.",
        arguments=[domain_argument(), Argument("--reason", flag=True, help="also print reason for the state")],
        json=True,
    )
