"""``virt-install --network network=default`` through virtd, in a private network namespace: virtd's
host network service defines libvirt's ``default`` network on its first use and autostarts it, the
installed tiny TCG guest takes a DHCP lease on it and pings its gateway, and stock virsh lists the
network and shows the lease (``net-dhcp-leases``)."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest
from client_support import need_virt_install, virt_install_ok, wait_for_text
from daemon_support import private_qemu_root, qemu_uri, virtd_serving
from guest import GuestImage
from virsh_support import virsh, virsh_ok
from virt.testing.netns import in_private_netns

MAC = "52:54:00:3c:2e:01"


@in_private_netns
def test_virt_install_on_the_default_network_gets_a_lease(tiny_guest: GuestImage) -> None:
    need_virt_install()
    network_root = Path(tempfile.mkdtemp(prefix="vnd", dir="/tmp"))
    network_root.chmod(0o755)  # a new network state: its first use defines 'default'; dnsmasq reads it
    with private_qemu_root("vin") as root, pytest.MonkeyPatch.context() as env:
        env.setenv("VIRT_NETWORK_ROOT", str(network_root))
        with virtd_serving(root) as daemon:
            uri, name = qemu_uri(daemon), "vi-net"
            serial = root / "serial.log"
            kernel_args = f"{tiny_guest.cmdline} virt.net=dhcp virt.hostname={name}"
            boot = f"kernel={tiny_guest.kernel},initrd={tiny_guest.initrd},kernel_args={kernel_args}"
            args = [
                "--name", name, "--memory", "128", "--vcpus", "1", "--osinfo", "generic", "--import",
                "--disk", "none", "--boot", boot, "--network", f"network=default,mac={MAC},model=virtio",
                "--graphics", "none", "--serial", f"file,path={serial}", "--noautoconsole", "--virt-type", "qemu",
            ]  # fmt: skip
            try:
                virt_install_ok(uri, args)
                wait_for_text(serial, tiny_guest.marker, 120)
                console = serial.read_text(errors="replace")
                lease = re.search(r"net: lease (192\.168\.122\.\d+)", console)
                assert lease is not None and "net: ping ok" in console, console
                listed = virsh_ok(uri, "net-list", "--all")
                assert re.search(r"^ default +active +yes +yes *$", listed, re.MULTILINE), listed
                leases = virsh_ok(uri, "net-dhcp-leases", "default")
                assert re.search(rf"{MAC} +ipv4 +{re.escape(lease.group(1))}/24 +{name} ", leases), leases
            finally:
                virsh(uri, "destroy", name)
                virsh(uri, "undefine", name)
                virsh(uri, "net-destroy", "default")
                shutil.rmtree(network_root, ignore_errors=True)
