"""The loaders a start runs: grub-bhyve with its device map (written to the run folder for the call,
removed after), none with UEFI firmware (bhyve boots the ROM itself and makes the VM)."""

from __future__ import annotations

from pathlib import Path

import pytest
import virt
from bhyve_support import BhyveHost


def _disk_guest(host: BhyveHost, name: str, os_part: str, extra: str = "") -> str:
    return f"""<domain type='bhyve'>
  <name>{name}</name>
  <memory unit='MiB'>512</memory>
  <vcpu>2</vcpu>
  {os_part}
  <devices>
    <disk type='file' device='disk'>
      <source file='{host.disk()}'/>
      <target dev='vda' bus='virtio'/>
    </disk>{extra}
  </devices>
</domain>
"""


def test_grub_bhyve_with_its_device_map(bhyve_host: BhyveHost) -> None:
    host = bhyve_host
    missing = _disk_guest(host, "lin0", "<bootloader>/nonexistent/grub-bhyve</bootloader><os><type>hvm</type></os>")
    xml = _disk_guest(host, "lin1", "<bootloader>grub-bhyve</bootloader><os><type>hvm</type></os>")
    with virt.open("bhyve:///system") as conn:
        with pytest.raises(virt.VirtError, match="Cannot find '/nonexistent/grub-bhyve' in path"):
            conn.define_domain(missing).start()
        domain = conn.define_domain(xml)
        host.forget_calls()
        domain.start()
        grub, bhyve = host.calls()
        device_map = str(host.state / "run" / "guests" / "grub_bhyve-lin1-device.map")
        assert grub == ["grub-bhyve", "--root", "hd0,msdos1", "--device-map", device_map, "--memory", "512", "lin1"]
        assert not Path(device_map).exists()  # gone once the loader ran
        assert bhyve[:5] == ["bhyve", "-c", "2", "-m", "512"] and f"2:0,virtio-blk,{host.disk()}" in bhyve
        assert domain.id == host.bhyve_pid("lin1")
        domain.destroy()
        assert host.calls()[-1] == ["bhyvectl", "--destroy", "--vm=lin1"]


def test_uefi_firmware_needs_no_loader(bhyve_host: BhyveHost) -> None:
    host = bhyve_host
    rom = host.base / "BHYVE_UEFI.fd"
    rom.write_bytes(b"\0" * 4096)
    os_part = f"<os><type>hvm</type><loader readonly='yes' type='pflash'>{rom}</loader></os>"
    with virt.open("bhyve:///system") as conn:
        domain = conn.define_domain(_disk_guest(host, "efi1", os_part))
        host.forget_calls()
        domain.start()
        (bhyve,) = host.calls()
        assert bhyve[0] == "bhyve" and ["-l", f"bootrom,{rom}"] == bhyve[bhyve.index("-l") : bhyve.index("-l") + 2]
        assert host.vms() == ["efi1"]  # bhyve made the VM itself
        domain.shutdown()
        # the state is read from the host when asked: the power button ended the guest
        import time

        deadline = time.monotonic() + 20
        while domain.state().state is not virt.DomainState.SHUTOFF:
            assert time.monotonic() < deadline, "the guest did not power off"
            time.sleep(0.1)
        assert host.calls()[-1] == ["bhyvectl", "--destroy", "--vm=efi1"] and host.vms() == []


def test_automatic_vnc_ports_are_picked_kept_and_given_back(bhyve_host: BhyveHost) -> None:
    """libvirt's port allocator for bhyve: each automatic VNC display gets the first port from 5900
    that no running guest holds and nothing listens on; the live definition shows it, a new owner
    (a later ``virt`` command) still does, and a stopped guest's port is free again."""
    import socket

    from bhyve_support import Cli

    host, cli = bhyve_host, Cli(bhyve_host)
    rom = host.base / "BHYVE_UEFI.fd"
    rom.write_bytes(b"\0" * 4096)
    os_part = f"<os><type>hvm</type><loader readonly='yes' type='pflash'>{rom}</loader></os>"
    vnc = "<graphics type='vnc' autoport='yes'><listen type='address' address='127.0.0.1'/></graphics>"

    def fbuf_port(name: str) -> int:
        bhyve = next(c for c in host.calls() if c[0] == "bhyve" and c[-1] == name)
        option = next(a for a in bhyve if ",fbuf," in a)
        return int(option.rsplit(":", 1)[1])

    with socket.socket() as busy:  # something on this host listens on the first free port
        busy.bind(("127.0.0.1", 0))
        first = 5900
        while True:
            try:
                busy.close()
                busy = socket.socket()
                busy.bind(("127.0.0.1", first))
                break
            except OSError:
                first += 1
        busy.listen()
        for name in ("vnc1", "vnc2"):
            (host.base / f"{name}.xml").write_text(_disk_guest(host, name, os_part, vnc))
            cli.ok("define", str(host.base / f"{name}.xml"))
            cli.ok("start", name)
        one, two = fbuf_port("vnc1"), fbuf_port("vnc2")
        assert first < one < two, (first, one, two)
    assert f"<graphics type='vnc' port='{one}' autoport='yes' listen='127.0.0.1'>" in cli.ok("dumpxml", "vnc1")
    assert f"port='{two}' autoport='yes'" in cli.ok("dumpxml", "vnc2")
    assert "port='-1' autoport='yes'" in cli.ok("dumpxml", "--inactive", "vnc1")
    cli.ok("destroy", "vnc1")
    host.forget_calls()
    cli.ok("start", "vnc1")
    assert fbuf_port("vnc1") == one  # given back at the stop, the lowest free one again
    for name in ("vnc1", "vnc2"):
        cli.ok("destroy", name)
