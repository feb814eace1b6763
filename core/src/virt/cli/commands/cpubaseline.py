"""``cpu-baseline`` and ``hypervisor-cpu-baseline``: the CPU every host CPU of a file can run, as
virsh computes and prints it (virsh-host.c): the file's <cpu> elements, those of a domain, of host
capabilities, or the host-model of domain capabilities, sent to virConnectBaselineCPU (or
virConnectBaselineHypervisorCPU, with the hypervisor's emulator, architecture, machine and type)."""

from __future__ import annotations

import argparse

from virt.cli.commands.domain import file_argument, read_file
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry, complete_files

# virsh's vshExtractCPUDefXMLs looks for the CPUs here, the file's content wrapped in <container>
_CPU_PATHS = (
    "/container/cpu",
    "/container/domain/cpu",
    "/container/capabilities/host/cpu",
    "/container/domainCapabilities/cpu/mode[@name='host-model' and @supported='yes']",
)


def cpu_definitions(path: str) -> list[str]:
    """Every CPU definition of the file ``path``, as text, with virsh's errors."""
    from lxml import etree

    from virt.errors import XMLError
    from virt.xml.base import parse_document

    text = read_file(path)
    if text.startswith("<?xml") and "?>" in text:
        text = text[text.index("?>") + 2 :]
    wrapped = f"<container>{text}</container>"
    try:
        container = parse_document(wrapped)
    except XMLError as exc:
        from virt.cpubaseline import parse_error_text

        raise CommandError(parse_error_text(path, wrapped, exc)) from exc
    found = container.xpath("|".join(_CPU_PATHS))
    assert isinstance(found, list)
    nodes = [node for node in found if isinstance(node, etree._Element)]
    if not nodes:
        raise CommandError(
            f"File '{path}' does not contain any <cpu> element or valid domain XML, host capabilities XML, "
            "or domain capabilities XML"
        )
    texts = []
    for node in nodes:
        if node.tag == "mode":
            # domain capabilities: the host-model <mode> is the CPU, under the name libvirt expects
            node.tag = "cpu"
            node.attrib.clear()
        texts.append(etree.tostring(node, encoding="unicode", with_tail=False))
    return texts


def run_cpu_baseline(ctx: Context, args: argparse.Namespace) -> int:
    from virt.cpubaseline import EXPAND_FEATURES, MIGRATABLE

    cpus = cpu_definitions(args.file)
    flags = (EXPAND_FEATURES if args.features else 0) | (MIGRATABLE if args.migratable else 0)
    ctx.print(ctx.conn.baseline_cpu(cpus, flags), end="")
    return 0


def run_hypervisor_cpu_baseline(ctx: Context, args: argparse.Namespace) -> int:
    from virt.cpubaseline import EXPAND_FEATURES, MIGRATABLE

    if args.file is not None and args.model is not None:
        raise CommandError("Options --file and --model are mutually exclusive")
    if args.file is None and args.model is None:
        raise CommandError("Either --file or --model must be provided")
    cpus = cpu_definitions(args.file) if args.file is not None else [f"<cpu><model>{args.model}</model></cpu>"]
    flags = (EXPAND_FEATURES if args.features else 0) | (MIGRATABLE if args.migratable else 0)
    found = ctx.conn.baseline_hypervisor_cpu(
        cpus, flags, emulator=args.emulator, arch=args.arch, machine=args.machine, virt_type=args.virttype
    )
    ctx.print(found, end="")
    return 0


def register(commands: CommandRegistry) -> None:
    commands.add(
        "cpu-baseline",
        run_cpu_baseline,
        group="Host and Hypervisor",
        help="compute baseline CPU",
        description="Compute baseline CPU for a set of given CPUs.",
        arguments=[
            file_argument("file containing XML CPU descriptions"),
            Argument("--features", flag=True, help="Show features that are part of the CPU model type"),
            Argument("--migratable", flag=True, help="Do not include features that block migration"),
        ],
    )
    commands.add(
        "hypervisor-cpu-baseline",
        run_hypervisor_cpu_baseline,
        group="Host and Hypervisor",
        help="compute baseline CPU usable by a specific hypervisor",
        description=(
            "Compute baseline CPU for a set of given CPUs. The result will be tailored to the specified hypervisor."
        ),
        arguments=[
            Argument("file", positional=True, completer=complete_files, help="file containing XML CPU descriptions"),
            Argument("--virttype", help="virtualization type (/domain/@type)"),
            Argument("--emulator", help="path to emulator binary (/domain/devices/emulator)"),
            Argument("--arch", help="CPU architecture (/domain/os/type/@arch)"),
            Argument("--machine", help="machine type (/domain/os/type/@machine)"),
            Argument("--features", flag=True, help="Show features that are part of the CPU model type"),
            Argument("--migratable", flag=True, help="Do not include features that block migration"),
            Argument(
                "--model", help="Shortcut for calling the command with a single CPU model and no additional features"
            ),
        ],
    )
