"""AUTH_LIST: a daemon that wants SASL or polkit gets a clear "not supported" naming the method."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import virt
from virt.errors import ErrorNumber, NotSupported
from virt.testing import missing_dependency, start_libvirtd


def test_a_daemon_wanting_sasl_is_refused_with_the_methods_name() -> None:
    with start_libvirtd(settings='auth_unix_rw = "sasl"') as daemon, pytest.raises(NotSupported) as caught:
        virt.open(daemon.uri())
    assert caught.value.code == ErrorNumber.AUTH_UNAVAILABLE
    assert f"the daemon at unix socket {daemon.socket} requires SASL authentication" in caught.value.message


def test_a_daemon_wanting_polkit_is_refused_with_the_methods_name() -> None:
    # libvirtd lets root through polkit without asking: the client must be another user.
    if shutil.which("setpriv") is None:
        missing_dependency("setpriv (util-linux) is not installed")
    with start_libvirtd(settings='auth_unix_rw = "polkit"\nunix_sock_rw_perms = "0777"') as daemon:
        for folder in (Path(daemon.socket).parent, Path(daemon.socket).parent.parent):
            folder.chmod(0o755)  # the nobody user must reach the socket
        script = "import sys, virt\ntry:\n    virt.open(sys.argv[1])\nexcept virt.VirtError as e:\n    print(e.message)"
        # the client reads its Python and virt wherever they are (a clone in root's home, mode 700)
        # through CAP_DAC_READ_SEARCH, and is still another user to libvirtd
        result = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=+dac_read_search",
             "--ambient-caps=+dac_read_search", sys.executable, "-c", script, daemon.uri()],
            capture_output=True, text=True, timeout=60, env={"HOME": "/tmp", "VIRT_LOAD_PLUGINS": ""}, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "requires polkit authentication, which virt's remote client does not support" in result.stdout
