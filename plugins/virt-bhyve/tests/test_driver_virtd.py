"""virtd serves the bhyve driver like the others: stock virsh, over virtd's unix socket, asks it to open
``bhyve:///system`` (libvirt's ``name=`` parameter) and drives a guest on the stand-in host through
it; virtd follows the guest (its monitor thread) and settles a shutdown without being asked."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from bhyve_support import BhyveHost, guest_xml, wait_for
from virt.daemon.testing import start_virtd
from virt.testing import need_virsh


def _virsh(uri: str, *args: str) -> str:
    done = subprocess.run(["virsh", "-c", uri, *args], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"virsh {' '.join(args)} exited {done.returncode}: {done.stderr}{done.stdout}"
    return done.stdout


def test_stock_virsh_through_virtd(bhyve_host: BhyveHost, tmp_path: Path) -> None:
    need_virsh()
    host = bhyve_host
    xml = tmp_path / "guest.xml"
    xml.write_text(guest_xml(host, "vbsd"))
    with start_virtd(system=True) as daemon:
        uri = f"bhyve+unix:///system?socket={daemon.socket}&name=bhyve:///system"
        assert re.search(r"Running hypervisor: BHYVE \d+\.\d+\.\d+", _virsh(uri, "version"))
        caps = _virsh(uri, "domcapabilities")
        assert "<domain>bhyve</domain>" in caps and "<value>gop</value>" in caps
        assert "<domain type='bhyve'/>" in _virsh(uri, "capabilities")
        _virsh(uri, "define", str(xml))
        _virsh(uri, "start", "vbsd")
        pid = host.bhyve_pid("vbsd")
        assert pid is not None
        assert re.search(rf"^\s*{pid}\s+vbsd\s+running", _virsh(uri, "list"), re.M)
        assert "<target dev='vnet0'/>" in _virsh(uri, "dumpxml", "vbsd")
        _virsh(uri, "shutdown", "vbsd")
        wait_for("virsh to see it shut off", lambda: _virsh(uri, "domstate", "vbsd").strip() == "shut off")
        assert host.vms() == [] and "vnet0" not in host.interfaces()
        assert _virsh(uri, "domstate", "--reason", "vbsd").strip() == "shut off (shutdown)"
        _virsh(uri, "start", "vbsd")
        first = host.bhyve_pid("vbsd")
        assert "State:          running" in _virsh(uri, "dominfo", "vbsd")
        # reboot: the power button, and virtd's monitor starts the guest again when bhyve ends
        _virsh(uri, "reboot", "vbsd")
        wait_for("bhyve to start again", lambda: host.bhyve_pid("vbsd") not in (None, first))
        wait_for("virsh to see it run", lambda: _virsh(uri, "domstate", "vbsd").strip() == "running")
        assert host.vms() == ["vbsd"]
        _virsh(uri, "destroy", "vbsd")
        assert host.bhyve_pid("vbsd") is None and host.vms() == []
        assert _virsh(uri, "domstate", "--reason", "vbsd").strip() == "shut off (destroyed)"
        _virsh(uri, "autostart", "vbsd")
        assert re.search(r"Autostart:\s+enable", _virsh(uri, "dominfo", "vbsd"))
        _virsh(uri, "undefine", "vbsd")
        assert "vbsd" not in _virsh(uri, "list", "--all")
