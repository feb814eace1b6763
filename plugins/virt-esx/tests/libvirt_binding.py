"""libvirt 9.0's own answers through its Python binding (python3-libvirt under /usr/bin/python3),
for calls virsh has no command for that compares (virConnectDomainXMLFromNative on a vmware URI)."""

from __future__ import annotations

import os
import shutil
import subprocess

from virt.testing import missing_dependency

SYSTEM_PYTHON = "/usr/bin/python3"
_FROM_NATIVE = """
import sys, libvirt
conn = libvirt.open(sys.argv[1])
try:
    sys.stdout.write(conn.domainXMLFromNative(sys.argv[2], sys.stdin.read(), 0))
finally:
    conn.close()
"""


def from_native(uri: str, native_format: str, config: str) -> str:
    """libvirt's domain XML for ``config`` in ``native_format``, on a connection to ``uri``."""
    if shutil.which(SYSTEM_PYTHON) is None:
        missing_dependency("python3-libvirt under /usr/bin/python3 is not installed")
    done = subprocess.run(
        [SYSTEM_PYTHON, "-c", _FROM_NATIVE, uri, native_format],
        input=config,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        if "No module named 'libvirt'" in done.stderr:
            missing_dependency("python3-libvirt is not installed (apt-get install python3-libvirt)")
        raise AssertionError(f"libvirt's domainXMLFromNative failed: {done.stderr}")
    return done.stdout
