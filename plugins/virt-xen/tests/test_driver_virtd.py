"""virtd serves the Xen driver like the others: stock virsh, over virtd's unix socket, asks it to open the
test host's ``xen+ssh://`` URI (libvirt's ``name=`` parameter) and drives a PV guest through it."""

from __future__ import annotations

import re
import subprocess
import urllib.parse
from pathlib import Path

import pytest
from virt.daemon.testing import start_virtd
from virt.testing import need_virsh
from xen_driver_support import pv_domain_xml, wait_for, xl_domains
from xenhost import XenHost


def _virsh(uri: str, *args: str) -> str:
    done = subprocess.run(["virsh", "-c", uri, *args], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"virsh {' '.join(args)} exited {done.returncode}: {done.stderr}{done.stdout}"
    return done.stdout


def test_stock_virsh_through_virtd(xen_host: XenHost, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    need_virsh()
    monkeypatch.setenv("VIRT_XEN_ROOT", str(tmp_path / "state"))
    xml = tmp_path / "guest.xml"
    xml.write_text(pv_domain_xml("xvd", vcpus=1))
    with start_virtd(system=True) as daemon:
        uri = f"xen+unix:///system?socket={daemon.socket}&name={urllib.parse.quote(xen_host.uri, safe='')}"
        assert re.search(r"Running hypervisor: Xen 4\.17\.\d+", _virsh(uri, "version"))
        assert "CPU model:           x86_64" in _virsh(uri, "nodeinfo")
        _virsh(uri, "define", str(xml))
        _virsh(uri, "start", "xvd")
        try:
            domid, _ = xl_domains(xen_host)["xvd"]
            assert re.search(rf"^\s*{domid}\s+xvd\s+running", _virsh(uri, "list"), re.M)
            info = _virsh(uri, "dominfo", "xvd")
            assert re.search(r"OS Type:\s+xen", info) and re.search(r"State:\s+running", info), info
            _virsh(uri, "suspend", "xvd")
            assert _virsh(uri, "domstate", "xvd").strip() == "paused"
            assert "p" in xl_domains(xen_host)["xvd"][1]
            _virsh(uri, "resume", "xvd")
        finally:
            _virsh(uri, "destroy", "xvd")
        wait_for("virsh to see it shut off", lambda: _virsh(uri, "domstate", "xvd").strip() == "shut off", 30)
        assert "xvd" not in xl_domains(xen_host)
        _virsh(uri, "undefine", "xvd")
