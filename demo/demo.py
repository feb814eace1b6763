"""The virt demo: a domain's whole life on the built-in test hypervisor, test:///default.

Each step runs the `virt` command in this process, so what it prints is what a user of the CLI
sees. test:///default keeps its state while a connection to it is open in the process, as
libvirt's does, so the demo holds one open from start to end.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import virt
from virt.cli.main import main as virt_command

URI = "test:///default"
DOMAIN_XML = """\
<domain type='test'>
  <name>demo</name>
  <memory unit='MiB'>512</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/var/lib/virt/images/demo.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>
"""


def step(*args: str) -> None:
    print(f"$ virt -c {URI} {' '.join(args)}", flush=True)
    status = virt_command(["-c", URI, *args])
    if status != 0:
        sys.exit(status)


def run() -> None:
    with virt.open(URI), tempfile.TemporaryDirectory() as tmp:
        xml_file = Path(tmp) / "demo.xml"
        xml_file.write_text(DOMAIN_XML)
        step("define", str(xml_file))
        step("start", "demo")
        step("list", "--all")
        step("suspend", "demo")
        step("domstate", "demo", "--reason")
        step("resume", "demo")
        step("dominfo", "demo")
        step("destroy", "demo")
        step("undefine", "demo")
        step("list", "--all")


if __name__ == "__main__":
    run()
