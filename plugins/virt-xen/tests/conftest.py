"""Fixtures of virt-xen's tests: the Xen host (Xen 4.17 under QEMU TCG, dom0 reached by SSH), see xenhost.py."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from virt.testing import missing_dependency
from virt.testing.debimage import built_or_missing
from xenhost import XenHost, XenImage, boot, build_xen_host


@pytest.fixture(scope="session")
def xen_image() -> XenImage:
    """Xen, dom0's kernel and initramfs, built once per machine from Debian's packages (cached in
    ``$VIRT_TEST_CACHE/xen`` or ``/var/tmp/virt-test-xen``); a skip (a failure under CI) when apt, dpkg or
    the network are missing."""
    return built_or_missing(build_xen_host, "the Xen test host")


@pytest.fixture(scope="session")
def xen_host(xen_image: XenImage, tmp_path_factory: pytest.TempPathFactory) -> Iterator[XenHost]:
    """Xen running under QEMU (TCG), booted once per test session: ``xen_host.run("xl list")`` runs a command
    in dom0 as root over SSH; ``xen_host.uri`` is its ``xen+ssh://`` URI (key file given, host key not
    checked), ``xen_host.ssh_options()`` / ``xen_host.ssh_config`` reach it with OpenSSH's client.

    A skip (a failure under CI) without QEMU or an SSH client; a failure when the host does not come up.
    """
    explicit = os.environ.get("VIRT_QEMU_BINARY")
    qemu = explicit if explicit and os.access(explicit, os.X_OK) else shutil.which("qemu-system-x86_64")
    if qemu is None:
        missing_dependency("qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)")
    for tool in ("ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            missing_dependency(f"{tool} is not installed (apt-get install openssh-client): dom0 is reached by SSH")
    host = boot(xen_image, tmp_path_factory.mktemp("xen-host"), qemu=qemu)
    try:
        yield host
    finally:
        host.stop()


@pytest.fixture
def xen_dom0(xen_host: XenHost) -> Iterator[XenHost]:
    """The session's Xen host, with every guest a test leaves running destroyed after it."""
    yield xen_host
    xen_host.destroy_guests()
