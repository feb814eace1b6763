"""``help``, ``-h`` and ``-v``: virsh's help layout."""

from __future__ import annotations

from cli_helpers import Run
from virt import __version__


def test_help_lists_groups(virt: Run) -> None:
    out = virt("help", uri=None).out
    assert out.startswith("Grouped commands:\n\n Domain Management (help keyword 'domain'):\n")
    assert "    list                           list domains\n" in out
    volumes = out.split(" Storage Volume (help keyword 'volume'):\n", 1)[1].split("\n\n", 1)[0]
    assert "    vol-list                       list vols" in volumes.splitlines()
    assert "    pool-start                     start a (previously defined) inactive pool\n" in out


def test_help_command_layout(virt: Run) -> None:
    assert virt("help", "domstate", uri=None).out == (
        "  NAME\n    domstate - domain state\n\n"
        "  SYNOPSIS\n    domstate <domain> [--reason] [--json]\n\n"
        "  DESCRIPTION\n    Returns state about a domain.\n\n"
        "  OPTIONS\n"
        "    [--domain] <string>  domain name, id or uuid\n"
        "    --reason         also print reason for the state\n"
        "    --json           print JSON\n\n\n"
    )


def test_help_without_options(virt: Run) -> None:
    assert (
        virt("help", "uri", uri=None).out
        == "  NAME\n    uri - print the hypervisor canonical URI\n\n  SYNOPSIS\n    uri\n\n\n"
    )


def test_command_help_flag(virt: Run) -> None:
    assert virt("list", "--help", uri=None).out.startswith("  NAME\n    list - list domains\n")


def test_help_group_keyword(virt: Run) -> None:
    assert virt("help", "monitor", uri=None).out == (
        " Domain Monitoring (help keyword 'monitor'):\n"
        "    domblkerror                    Show errors on block devices\n"
        "    domblkinfo                     domain block device size information\n"
        "    domblkstat                     get device block stats for a domain\n"
        "    domcontrol                     domain control interface state\n"
        "    domifaddr                      Get network interfaces' addresses for a running domain\n"
        "    domifstat                      get network interface stats for a domain\n"
        "    dominfo                        domain information\n"
        "    dommemstat                     get memory statistics for a domain\n"
        "    domstate                       domain state\n"
        "    domstats                       get statistics about one or multiple domains\n"
        "    domtime                        domain time\n"
        "    list                           list domains\n\n\n"
    )


def test_help_unknown(virt: Run) -> None:
    assert virt("help", "bogus", uri=None) == (1, "\n", "error: command or command group 'bogus' doesn't exist\n")


def test_global_help_and_version(virt: Run) -> None:
    out = virt("-h", uri=None).out
    assert out.startswith("virt [options]... [<command_string>]\n")
    assert " Networking (help keyword 'network')\n" in out
    assert virt("-v", uri=None).out == f"{__version__}\n"
    assert virt("--version=long", uri=None).out.startswith("Virt command line tool")
