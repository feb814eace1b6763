from __future__ import annotations

import json
import subprocess
from pathlib import Path

from virt import errors
from virt.testing import missing_dependency

LIBVIRT_PYTHON = Path("/usr/bin/python3")


def test_subclasses_carry_codes() -> None:
    assert errors.NotFound("x").code == errors.ErrorNumber.NO_DOMAIN
    assert errors.OperationInvalid("x").code == errors.ErrorNumber.OPERATION_INVALID
    assert errors.XMLError("x").code == errors.ErrorNumber.XML_ERROR
    assert errors.NotSupported("x").code == errors.ErrorNumber.NO_SUPPORT
    assert errors.AuthError("x").code == errors.ErrorNumber.AUTH_FAILED
    assert errors.ConnectionError("x").code == errors.ErrorNumber.NO_CONNECT
    err = errors.NotFound("no network", errors.ErrorNumber.NO_NETWORK, errors.ErrorDomain.NETWORK)
    assert (err.code, err.domain, str(err)) == (errors.ErrorNumber.NO_NETWORK, errors.ErrorDomain.NETWORK, "no network")
    assert "NO_NETWORK" in repr(err)
    assert isinstance(err, errors.VirtError)


def test_numbers_match_libvirt() -> None:
    """Our numbers travel on libvirt's wire, so they must be libvirt's own."""
    if not LIBVIRT_PYTHON.exists():
        missing_dependency("/usr/bin/python3 is absent")
    script = (
        "import json, libvirt; print(json.dumps({k: v for k, v in vars(libvirt).items() "
        "if k.startswith(('VIR_ERR_', 'VIR_WAR_', 'VIR_FROM_')) and isinstance(v, int)}))"
    )
    result = subprocess.run([str(LIBVIRT_PYTHON), "-c", script], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        missing_dependency("python3-libvirt is not installed for /usr/bin/python3")
    constants = json.loads(result.stdout)
    for name, value in constants.items():
        if name.startswith("VIR_FROM_"):
            assert errors.ErrorDomain[name.removeprefix("VIR_FROM_")] == value, name
        elif name.startswith(("VIR_ERR_", "VIR_WAR_")) and name not in {
            "VIR_ERR_NONE",
            "VIR_ERR_WARNING",
            "VIR_ERR_ERROR",
        }:
            key = name.removeprefix("VIR_ERR_").replace("VIR_", "")
            assert errors.ErrorNumber[key] == value, name
