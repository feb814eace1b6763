"""Generated interface documents (valid, odd and wrong: repeated elements, numbers in every syntax,
members of every type at every depth) through virt's parser and formatter and through libvirt's:
the same XML back, or the same error, for every one."""

from __future__ import annotations

import random

import virt
from iface_steps import libvirt_results, virt_results

NUMBERS = [None, None, None, "0", "1", "12", "5", "10", "-3", "x", "0x1f", "010", " 7", "7 ", "+4", "100000",
           "100001", "4294967296", "2147483648", ""]  # fmt: skip


class _Generator:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def pick(self, *choices: str | None) -> str | None:
        return self.random.choice(choices)

    def attr(self, name: str, choices: list[str | None]) -> str:
        value = self.random.choice(choices)
        return "" if value is None else f" {name}='{value}'"

    def protocol(self) -> str:
        family = self.attr("family", ["ipv4", "ipv6", None, "ipx"])
        inner = "".join(
            self.random.choice(
                [
                    "<autoconf/>",
                    f"<dhcp{self.attr('peerdns', [None, 'yes', 'no', 'x', ''])}/>",
                    f"<ip{self.attr('address', [None, '1.2.3.4', '', 'fe::1'])}{self.attr('prefix', NUMBERS)}/>",
                    f"<route{self.attr('gateway', [None, '', '1.1.1.1'])}/>",
                    "<junk/>",
                ]
            )
            for _ in range(self.random.randint(0, 3))
        )
        return f"<protocol{family}>{inner}</protocol>"

    def interface(self, depth: int = 0) -> str:
        kind = self.attr("type", ["ethernet", "bridge", "bond", "vlan", "ethernet", "bridge", "bond", "ethernet", None])
        out = f"<interface{kind}{self.attr('name', ['e0', '', 'n', 'm', 'x'])}>"
        for _ in range(self.random.randint(0, 4)):
            out += self.part(depth)
        return out + "</interface>"

    def part(self, depth: int) -> str:
        choice = self.random.randint(0, 9)
        if choice == 0:
            return f"<start{self.attr('mode', [None, 'onboot', 'none', 'hotplug', 'x', ''])}/>"
        if choice == 1:
            return f"<mtu{self.attr('size', NUMBERS)}/>"
        if choice == 3:
            states = [None, "", "up", "down", "unknown", "x"]
            return f"<link{self.attr('speed', NUMBERS)}{self.attr('state', states)}/>"
        if choice == 4:
            return f"<mac{self.attr('address', [None, '', 'aa:bb', '52:54:00:00:00:01'])}/>"
        if choice == 5 and depth < 2:
            members = "".join(self.interface(depth + 1) for _ in range(self.random.randint(0, 2)))
            stp, delay = self.attr("stp", [None, "on", "off", "x"]), self.attr("delay", [None, "0", "1.5", ""])
            return f"<bridge{stp}{delay}>{members}</bridge>"
        if choice == 6 and depth < 2:
            return self.bond(depth)
        if choice == 7:
            member = self.pick("", "<interface/>", "<interface name='eth0'/>", "<interface name=''/>")
            return f"<vlan{self.attr('tag', [None, '', '5'])}>{member}</vlan>"
        if choice == 8:
            return "<other><x/></other>"
        return self.protocol()

    def bond(self, depth: int) -> str:
        members = "".join(self.interface(depth + 1) for _ in range(self.random.randint(0, 2)))
        carrier = self.attr("carrier", [None, "ioctl", "netif", "x"])
        miimon = (
            f"<miimon{self.attr('freq', NUMBERS)}{self.attr('downdelay', NUMBERS)}"
            f"{self.attr('updelay', NUMBERS)}{carrier}/>"
        )
        validate = self.attr("validate", [None, "active", "backup", "all", "x"])
        arpmon = f"<arpmon{self.attr('interval', NUMBERS)}{self.attr('target', [None, '', '1.2.3.4'])}{validate}/>"
        monitor = self.pick("", miimon, arpmon)
        return f"<bond{self.attr('mode', [None, 'balance-rr', 'active-backup', '802.3ad', 'x', ''])}>{monitor}{members}</bond>"


def test_generated_documents_parse_and_format_as_in_libvirt() -> None:
    generator = _Generator(20261204)
    documents = [generator.interface() for _ in range(400)]
    steps = [["roundtrip", document] for document in documents]
    theirs = libvirt_results("test:///default", steps)
    with virt.open("test:///default") as conn:
        ours = virt_results(conn, steps)
    for document, mine, reference in zip(documents, ours, theirs, strict=True):
        assert mine == reference, document
    assert sum(result[0] == "ok" for result in theirs) > 50  # enough of them are valid
