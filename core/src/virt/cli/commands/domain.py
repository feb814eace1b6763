"""Domain Management: define, create, undefine, start and stop domains; ids, names, UUIDs, XML."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry, complete_domains, complete_files
from virt.connection import Domain
from virt.states import ShutdownMode

if TYPE_CHECKING:
    from virt.domainsave import StartFlags
    from virt.xml import Domain as DomainModel

GROUP = "Domain Management"


def domain_argument(help: str = "domain name, id or uuid") -> Argument:
    return Argument("domain", positional=True, required=True, completer=complete_domains, help=help)


def file_argument(help: str) -> Argument:
    return Argument("file", positional=True, required=True, completer=complete_files, help=help)


def read_file(path: str) -> str:
    """The file's text; virsh's message when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise CommandError(f"Failed to open file '{path}': {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise CommandError(f"Failed to read file '{path}': {exc}") from exc


def failed(what: str, name: str, action: Callable[[], None]) -> None:
    """Run ``action``; a VirtError becomes ``Failed to <what> domain 'name'`` and its message."""
    from virt.errors import VirtError

    try:
        action()
    except VirtError as exc:
        raise CommandError(f"Failed to {what} domain '{name}'", exc.message) from exc


# -- define, create, undefine ---------------------------------------------------------------------
def run_define(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    xml = read_file(args.file)
    failure = f"Failed to define domain from {args.file}"
    if args.validate or args.dry_run:
        model = checked_model(ctx, xml, failure, schema=args.validate, semantic=args.validate)
        if args.dry_run:
            dry_run(ctx, model, args.file, failure)
            return
    try:
        domain = ctx.conn.define_domain(xml)
    except VirtError as exc:
        raise CommandError(failure, exc.message) from exc
    ctx.print_extra(f"Domain '{domain.name}' defined from {args.file}")


def run_create(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    xml = read_file(args.file)
    files = passed_fds(args.pass_fds)
    failure = f"Failed to create domain from {args.file}"
    if args.validate:
        checked_model(ctx, xml, failure, schema=True, semantic=True)
    try:
        domain = ctx.conn.create_domain_with_files(xml, files) if files else ctx.conn.create_domain(xml)
    except VirtError as exc:
        raise CommandError(failure, exc.message) from exc
    ctx.print_extra(f"Domain '{domain.name}' created from {args.file}")


def checked_model(ctx: Context, xml: str, failure: str, *, schema: bool, semantic: bool) -> DomainModel:
    """The domain model of ``xml``, validated against libvirt's RelaxNG schema (when its folder is
    found) and by the semantic checks as asked; every problem found is an ``error:`` line, the
    semantic warnings are ``warning:`` lines that stop nothing."""
    from virt.errors import XMLError
    from virt.xml import Domain as DomainModel

    try:
        model = DomainModel.from_xml(xml)
    except XMLError as exc:
        raise CommandError(failure, exc.message) from exc
    problems = []
    if schema:
        from virt.xml.schema import schema_problems

        try:
            problems += [str(p) for p in schema_problems(xml)]
        except XMLError as exc:  # the schema itself does not load
            raise CommandError(failure, exc.message) from exc
    if semantic:
        for problem in model.problems():
            if problem.severity == "error":
                problems.append(str(problem))
            else:
                ctx.stderr.write(f"warning: {problem}\n")
    if problems:
        raise CommandError(failure, *problems)
    return model


def dry_run(ctx: Context, model: DomainModel, path: str, failure: str) -> None:
    """What defining ``model`` would do to the existing definition of the same UUID or name, done
    the way the definition would be matched (and refused), and changing nothing."""
    from virt.errors import NotFound, VirtError
    from virt.xml import Domain as DomainModel
    from virt.xml.compare import diff

    conn = ctx.conn
    existing = None
    try:
        if model.uuid is not None:
            with contextlib.suppress(NotFound):
                existing = conn.lookup_domain_by_uuid(model.uuid)
        if existing is not None and existing.name != model.name:
            raise CommandError(failure, f"domain '{existing.name}' is already defined with uuid {existing.uuid}")
        if existing is None and model.name:
            try:
                other = conn.lookup_domain_by_name(model.name)
            except NotFound:
                other = None
            if other is not None:
                # without a UUID the definition would get a new one, which is not the other's
                raise CommandError(failure, f"domain '{model.name}' already exists with uuid {other.uuid}")
        if existing is None:
            ctx.print(f"Domain '{model.name}' would be defined from {path} (new domain)")
            return
        # with its secrets (when the connection may read them): a password is not a change
        current = DomainModel.from_xml(existing.xml(inactive=True, secure=not conn.readonly))
    except VirtError as exc:
        raise CommandError(failure, exc.message) from exc
    changes = diff(current, model)
    if not changes:
        ctx.print(f"Domain '{model.name}' is already defined as in {path}: nothing would change")
        return
    ctx.print(f"Domain '{model.name}' would be redefined from {path} with {len(changes)} change(s):")
    for change in changes:
        ctx.print(f"  {change}")


def run_undefine(ctx: Context, args: argparse.Namespace) -> None:
    from virt.domainchanges import UndefineFlags

    for first, second in (("nvram", "keep_nvram"), ("tpm", "keep_tpm")):
        if getattr(args, first) and getattr(args, second):
            raise CommandError(f"Options --{first} and --{second.replace('_', '-')} are mutually exclusive")
    for storage in ("storage", "remove_all_storage", "wipe_storage", "delete_storage_volume_snapshots"):
        if getattr(args, storage):
            option = storage.replace("_", "-")
            raise CommandError(f"--{option} is not supported by virt: remove the volumes with vol-delete")
    flags = UndefineFlags.NONE
    for option, flag in (
        ("managed_save", UndefineFlags.MANAGED_SAVE),
        ("snapshots_metadata", UndefineFlags.SNAPSHOTS_METADATA),
        ("checkpoints_metadata", UndefineFlags.CHECKPOINTS_METADATA),
        ("nvram", UndefineFlags.NVRAM),
        ("keep_nvram", UndefineFlags.KEEP_NVRAM),
        ("tpm", UndefineFlags.TPM),
        ("keep_tpm", UndefineFlags.KEEP_TPM),
    ):
        if getattr(args, option):
            flags |= flag
    domain = ctx.domain(args.domain)
    if not args.managed_save and _has_managed_save(domain):
        # virsh asks first, and refuses in its own words
        raise CommandError("Refusing to undefine while domain managed save image exists")
    failed("undefine", domain.name, lambda: domain.undefine(flags))
    ctx.print_extra(f"Domain '{domain.name}' has been undefined")


def _has_managed_save(domain: Domain) -> bool:
    from virt.errors import NotSupported

    try:
        return domain.has_managed_save()
    except NotSupported:
        return False


# -- life cycle ------------------------------------------------------------------------------------
def run_start(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain_by(args.domain, by_id=False)
    if domain.id != -1:
        raise CommandError("Domain is already active")
    from virt.domainsave import StartFlags

    flags = StartFlags.PAUSED if args.paused else StartFlags.NONE
    files = passed_fds(args.pass_fds)

    def start(chosen: StartFlags) -> None:
        # with descriptors to pass, virsh calls virDomainCreateWithFiles whatever the flags
        if files:
            domain.start_with_files(files, int(chosen))
        else:
            domain.start(chosen)

    if args.force_boot:
        failed("start", domain.name, lambda: _force_boot(domain, flags, start))
    else:
        failed("start", domain.name, lambda: start(flags))
    ctx.print_extra(f"Domain '{domain.name}' started")


def passed_fds(text: str | None) -> list[int]:
    """virsh's --pass-fds: file descriptors of this process, as N,M,..."""
    if not text:
        return []
    found = []
    for word in text.split(","):
        try:
            found.append(int(word, 10))
        except ValueError:
            raise CommandError(f"Unable to parse FD number '{word}'") from None
    return found


def _force_boot(domain: Domain, flags: StartFlags, start: Callable[[StartFlags], None]) -> None:
    """virsh's start --force-boot: a driver that refuses the flag (INVALID_ARG) gets its managed save
    image removed, then a start without it."""
    from virt.domainsave import StartFlags
    from virt.errors import ErrorNumber, VirtError

    try:
        start(flags | StartFlags.FORCE_BOOT)
    except VirtError as exc:
        if exc.code != ErrorNumber.INVALID_ARG:
            raise
        if _has_managed_save(domain):
            domain.remove_managed_save()
        start(flags)


def _with_mode(
    method: Callable[[Domain, ShutdownMode], None], verb: str, done: str
) -> Callable[[Context, argparse.Namespace], None]:
    def run(ctx: Context, args: argparse.Namespace) -> None:
        try:
            mode = ShutdownMode.from_words(args.mode or "")
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        domain = ctx.domain(args.domain)
        failed(verb, domain.name, lambda: method(domain, mode))
        ctx.print_extra(f"Domain '{domain.name}' {done}")

    run.__name__ = f"run_{verb}"
    return run


def _action(method: Callable[[Domain], None], verb: str, done: str) -> Callable[[Context, argparse.Namespace], None]:
    def run(ctx: Context, args: argparse.Namespace) -> None:
        domain = ctx.domain(args.domain)
        failed(verb, domain.name, lambda: method(domain))
        ctx.print_extra(f"Domain '{domain.name}' {done}")

    run.__name__ = f"run_{verb}"
    return run


run_shutdown = _with_mode(Domain.shutdown, "shutdown", "is being shutdown")
run_reboot = _with_mode(Domain.reboot, "reboot", "is being rebooted")
run_reset = _action(Domain.reset, "reset", "was reset")
run_destroy = _action(Domain.destroy, "destroy", "destroyed")
run_suspend = _action(Domain.suspend, "suspend", "suspended")
run_resume = _action(Domain.resume, "resume", "resumed")


def run_autostart(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    if args.disable:
        failed("unmark", domain.name, lambda: domain.set_autostart(False))
        ctx.print_extra(f"Domain '{domain.name}' unmarked as autostarted")
    else:
        failed("mark", domain.name, lambda: domain.set_autostart(True))
        ctx.print_extra(f"Domain '{domain.name}' marked as autostarted")


# -- names and descriptions ------------------------------------------------------------------------
def run_domid(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain_by(args.domain, by_id=False)
    domain_id = domain.id
    ctx.print("-" if domain_id == -1 else str(domain_id))


def run_domname(ctx: Context, args: argparse.Namespace) -> None:
    ctx.print(ctx.domain_by(args.domain, by_name=False).name)


def run_domuuid(ctx: Context, args: argparse.Namespace) -> None:
    ctx.print(str(ctx.domain_by(args.domain, by_uuid=False).uuid))


def run_dumpxml(ctx: Context, args: argparse.Namespace) -> None:
    from virt.cli.commands.host import print_xml

    domain = ctx.domain(args.domain)
    print_xml(ctx, domain.xml(inactive=args.inactive, secure=args.security_info))


def register(commands: CommandRegistry) -> None:
    add = commands.add
    add(
        "define",
        run_define,
        group=GROUP,
        help="define (but don't start) a domain from an XML file",
        description="Define a domain.",
        arguments=[
            file_argument("file containing an XML domain description"),
            Argument("--validate", flag=True, help="validate the XML against the schema and libvirt's rules"),
            Argument(
                "--dry-run", flag=True, help="show what would change against the existing definition, change nothing"
            ),
        ],
    )
    add(
        "create",
        run_create,
        group=GROUP,
        help="create a domain from an XML file",
        description="Create a domain.",
        arguments=[
            file_argument("file containing an XML domain description"),
            Argument("--pass-fds", help="pass file descriptors N,M,... to the guest"),
            Argument("--validate", flag=True, help="validate the XML against the schema and libvirt's rules"),
        ],
    )
    add(
        "undefine",
        run_undefine,
        group=GROUP,
        help="undefine a domain",
        description="Undefine an inactive domain, or convert persistent to transient.",
        arguments=[
            domain_argument(),
            Argument("--managed-save", flag=True, help="remove domain managed state file"),
            Argument("--storage", help="remove associated storage volumes (not supported by virt)"),
            Argument("--remove-all-storage", flag=True, help="remove all associated storage volumes (not supported)"),
            Argument("--delete-storage-volume-snapshots", flag=True, help="delete volume snapshots (not supported)"),
            Argument("--wipe-storage", flag=True, help="wipe data on the removed volumes (not supported)"),
            Argument(
                "--snapshots-metadata", flag=True, help="remove all domain snapshot metadata (vm must be inactive)"
            ),
            Argument(
                "--checkpoints-metadata", flag=True, help="remove all domain checkpoint metadata (vm must be inactive)"
            ),
            Argument("--nvram", flag=True, help="remove nvram file"),
            Argument("--keep-nvram", flag=True, help="keep nvram file"),
            Argument("--tpm", flag=True, help="remove TPM state"),
            Argument("--keep-tpm", flag=True, help="keep TPM state"),
        ],
    )
    add(
        "start",
        run_start,
        group=GROUP,
        help="start a (previously defined) inactive domain",
        description=(
            "Start a domain, either from the last managedsave state, "
            "or via a fresh boot if no managedsave state is present."
        ),
        arguments=[
            domain_argument("name of the inactive domain"),
            Argument("--paused", flag=True, help="leave the guest paused after creation"),
            Argument("--force-boot", flag=True, help="force fresh boot by discarding any managed save"),
            Argument("--pass-fds", help="pass file descriptors N,M,... to the guest"),
        ],
    )
    for name, run, help, description in (
        ("shutdown", run_shutdown, "gracefully shutdown a domain", "Run shutdown in the target domain."),
        ("reboot", run_reboot, "reboot a domain", "Run a reboot command in the target domain."),
    ):
        mode = Argument("--mode", help="shutdown mode: acpi|agent|initctl|signal|paravirt")
        add(name, run, group=GROUP, help=help, description=description, arguments=[domain_argument(), mode])
    for name, run, help, description in (
        ("reset", run_reset, "reset a domain", "Reset the target domain as if by power button"),
        (
            "destroy",
            run_destroy,
            "destroy (stop) a domain",
            "Forcefully stop a given domain, but leave its resources intact.",
        ),
        ("suspend", run_suspend, "suspend a domain", "Suspend a running domain."),
        ("resume", run_resume, "resume a domain", "Resume a previously suspended domain."),
    ):
        add(name, run, group=GROUP, help=help, description=description, arguments=[domain_argument()])
    add(
        "autostart",
        run_autostart,
        group=GROUP,
        help="autostart a domain",
        description="Configure a domain to be automatically started at boot.",
        arguments=[domain_argument(), Argument("--disable", flag=True, help="disable autostarting")],
    )
    add(
        "domid",
        run_domid,
        group=GROUP,
        help="convert a domain name or UUID to domain id",
        arguments=[domain_argument("domain name or uuid")],
    )
    add(
        "domname",
        run_domname,
        group=GROUP,
        help="convert a domain id or UUID to domain name",
        arguments=[domain_argument("domain id or uuid")],
    )
    add(
        "domuuid",
        run_domuuid,
        group=GROUP,
        help="convert a domain name or id to domain UUID",
        arguments=[domain_argument("domain id or name")],
    )
    add(
        "dumpxml",
        run_dumpxml,
        group=GROUP,
        help="domain information in XML",
        description="Output the domain information as an XML dump to stdout.",
        arguments=[
            domain_argument(),
            Argument("--inactive", flag=True, help="show inactive defined XML"),
            Argument("--security-info", flag=True, help="include security sensitive information in XML dump"),
        ],
    )
