"""Malformed bhyve command lines give a VirtError naming the argument, never another exception:
every argument of every corpus command line mutated in several ways, and every text cut off at
many points; what reads is also written back (or refused by name)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable

from argv_corpus import cases, tokens
from virt.errors import VirtError
from virt.testing.mutate import attribute_variants
from virt.xml import Domain
from virt_bhyve.argv import from_native, to_native

# what each argument becomes
MUTATIONS: tuple[Callable[[str], str], ...] = (
    lambda arg: "",
    lambda arg: "-",
    lambda arg: "bogus",
    lambda arg: "-1",
    lambda arg: "99999999999999999999999",
    lambda arg: arg + ",",
    lambda arg: "," + arg,
    lambda arg: arg.replace(",", ",,"),
    lambda arg: arg.replace(":", "", 1),
    lambda arg: arg.replace(":", ":1:2:"),
    lambda arg: re.sub(r"[0-9]+", "z", arg),
    lambda arg: re.sub(r"[0-9]+", "99999999999", arg),
    lambda arg: re.sub(r"=[^,]*", "=", arg),
    lambda arg: arg[: len(arg) // 2],
    lambda arg: "'" + arg,
    lambda arg: arg + "=x,mac=zz:zz",
    lambda arg: "-s",
    lambda arg: "-m",
)


def command_lines() -> list[tuple[str, list[list[str]]]]:
    """(case, its commands) for every command line of both bhyve suites: the argv-to-xml inputs,
    and the loader + bhyve lines libvirt wrote for the xml-to-argv cases (given full paths, the
    harness strips them)."""
    found = []
    for case in cases("bhyve-argv-to-xml"):
        text = (case["folder"] / case["input"]).read_text().replace("\\\n", " ")
        found.append((case["id"], [line.split() for line in text.splitlines() if line.strip()]))
    for case in cases("xml-to-bhyve-argv"):
        bhyve = tokens(case["folder"] / case["expected"])
        loader = tokens(case["folder"] / case["expected_loader"])
        paths = {"bhyve": "/usr/sbin/bhyve", "bhyveload": "/usr/sbin/bhyveload"}
        commands = [[paths.get(c[0], c[0]), *c[1:]] for c in (loader, bhyve)]
        found.append((case["id"], commands))
    return found


def render(commands: list[list[str]]) -> str:
    return "\n".join(" \\\n".join(argv) for argv in commands) + "\n"


def read_or_refuse(text: str) -> str | None:
    """The message when the text is refused; a text that reads is also written back."""
    try:
        domain = from_native(text)
    except VirtError as e:
        return e.message
    with contextlib.suppress(VirtError):
        to_native(Domain.from_xml(domain.to_xml()))
    return None


def test_every_argument_mutated() -> None:
    tried = refused = 0
    for case_id, commands in command_lines():
        for c, argv in enumerate(commands):
            for n, arg in enumerate(argv):
                for mutate in MUTATIONS:
                    changed = [list(a) for a in commands]
                    changed[c][n] = new = mutate(arg)
                    message = read_or_refuse(render(changed))
                    tried += 1
                    if message is not None:
                        refused += 1
                        # a refusal names what it could not read: an argument, an option or a
                        # command of the text (the changed one or the one it broke)
                        words = {w for a in changed for w in a if len(w) > 1}
                        words |= {repr(w) for a in changed for w in a} | {repr(new)}
                        assert any(w in message for w in words), (case_id, c, n, message)
    assert tried > 10000
    assert refused > tried // 20


def test_arguments_dropped_and_doubled() -> None:
    tried = 0
    for _, commands in command_lines():
        for c, argv in enumerate(commands):
            for n in range(len(argv)):
                for changed_argv in (argv[:n] + argv[n + 1 :], argv[: n + 1] + argv[n:]):
                    changed = [list(a) for a in commands]
                    changed[c] = changed_argv
                    read_or_refuse(render(changed))
                    tried += 1
    assert tried > 2000


def test_truncated_texts() -> None:
    tried = 0
    for _, commands in command_lines():
        text = render(commands)
        for cut in range(0, len(text), 3):
            read_or_refuse(text[:cut])
            tried += 1
    assert tried > 3000


def test_refusals_name_the_argument() -> None:
    base = "/usr/sbin/bhyve -c 1 -m 214 -H -P -s 0:0,hostbridge bhyve\n"
    for bad, words in (
        (base.replace("-c 1", "-c two"), "-c two"),
        (base.replace("-m 214", "-m 2x14"), "-m 2x14"),
        (base.replace("0:0,hostbridge", "0:x,hostbridge"), "-s 0:x,hostbridge"),
        (base.replace("0:0,hostbridge", "0:0"), "-s 0:0"),
        (base.replace("-H", "-l com3,/dev/nmdm0A"), "com3"),
        (base.replace("-H", "-l com1,/dev/tty0"), "com1"),
        (base.replace("-H", "-U nope"), "nope"),
        ("/usr/sbin/bhyve -c 1 -m bhyve\n", "Missing argument for '-m'"),
        ("/usr/sbin/bhyveload -m 214 -d /tmp/x other\n" + base, "VM name mismatch ('bhyve' and 'other')"),
        ("/usr/sbin/bhyveload -m 256 -d /tmp/x bhyve\n" + base, "size mismatch ('-m 256')"),
        ("bhyve -c 1 bhyve\n", "/usr/sbin/bhyve"),
    ):
        try:
            from_native(bad)
        except VirtError as e:
            assert words in e.message, (bad, e.message)
        else:
            raise AssertionError(f"not refused: {bad}")


BAD_ATTRIBUTES = ("", "bogus", "-1", "99999999999")


def test_every_domain_attribute_with_bad_values() -> None:
    """Domain XML -> command lines: a document whose attributes are wrong is refused by name (by
    the XML model or the writer), never with another exception."""
    tried = 0
    for case in cases("xml-to-bhyve-argv"):
        for document in attribute_variants((case["folder"] / case["input"]).read_bytes(), BAD_ATTRIBUTES):
            with contextlib.suppress(VirtError):
                to_native(Domain.from_xml(document))
            tried += 1
    assert tried > 1000
