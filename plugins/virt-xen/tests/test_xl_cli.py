"""``virt domxml-from-native`` / ``domxml-to-native`` with the xen-xl and xen-xm formats, run as a
user runs them (the CLI dispatches through virt.native to the plugin's registered converters)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from virt.xml import Domain
from virt_xen.xlcfg import syntax

PV_CONFIG = """# a small PV guest
name = "tiny"
uuid = "5c3bc6d8-3bb6-4a62-9e61-0f6b5d2c1a01"
memory = 128
vcpus = 1
kernel = "/var/lib/xen/tiny/vmlinuz"
ramdisk = "/var/lib/xen/tiny/initrd.gz"
extra = "console=hvc0"
vif = [ "mac=00:16:3e:00:00:01,bridge=xenbr0" ]
disk = [ "/var/lib/xen/tiny/disk.img,raw,xvda,rw" ]
"""


def virt(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "virt"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "virt.cli.main"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=60, check=False)


def test_from_native_and_back(tmp_path: Path) -> None:
    config = tmp_path / "tiny.cfg"
    config.write_text(PV_CONFIG)
    done = virt("domxml-from-native", "xen-xl", str(config))
    assert done.returncode == 0, done.stderr
    domain = Domain.from_xml(done.stdout)
    assert domain.name == "tiny" and domain.os is not None and domain.os.cmdline == "console=hvc0"
    xml = tmp_path / "tiny.xml"
    xml.write_text(done.stdout)
    back = virt("domxml-to-native", "xen-xl", str(xml))
    assert back.returncode == 0, back.stderr
    settings = {e.key: e.value for e in syntax.parse(back.stdout)}
    assert settings["cmdline"] == "console=hvc0"
    disks = settings["disk"]
    assert isinstance(disks, list)
    assert disks[0].value == "format=raw,vdev=xvda,access=rw,backendtype=qdisk,target=/var/lib/xen/tiny/disk.img"


def test_xm_and_a_malformed_config(tmp_path: Path) -> None:
    config = tmp_path / "old.cfg"
    config.write_text(PV_CONFIG.replace('"/var/lib/xen/tiny/disk.img,raw,xvda,rw"', '"file:/srv/old.img,xvda,w"'))
    done = virt("domxml-from-native", "xen-xm", str(config))
    assert done.returncode == 0, done.stderr
    assert "<source file='/srv/old.img'/>" in done.stdout
    config.write_text(PV_CONFIG.replace("memory = 128", "memory = 128 MiB"))
    refused = virt("domxml-from-native", "xen-xl", str(config))
    assert refused.returncode != 0
    assert "line 4" in refused.stderr and "Traceback" not in refused.stderr
