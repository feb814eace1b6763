"""virt's own remote client saving and restoring through virtd and through libvirtd 9.0 (test:///default):
each call's outcome (result, or error code and message) is the same through both daemons, and the
same as on a local test:/// connection.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import virt
from virt.daemon.testing import Virtd
from virt.domainsave import SaveFlags, SaveImageXMLFlags, StartFlags
from virt.errors import VirtError
from virt.testing import Libvirtd

Step = Callable[[virt.Connection, Path], object]

STEPS: list[tuple[str, Step]] = [
    ("save", lambda c, d: c.lookup_domain("test").save(str(d / "t.save"))),
    ("state saved", lambda c, d: tuple(int(x) for x in c.lookup_domain("test").state())),
    ("image xml", lambda c, d: c.save_image_xml(str(d / "t.save"))),
    ("image xml secure", lambda c, d: c.save_image_xml(str(d / "t.save"), SaveImageXMLFlags.SECURE)),
    ("define image", lambda c, d: c.define_save_image_xml(str(d / "t.save"), c.save_image_xml(str(d / "t.save")))),
    ("restore flags", lambda c, d: c.restore(str(d / "t.save"), flags=SaveFlags.PAUSED)),
    ("restore", lambda c, d: c.restore(str(d / "t.save"))),
    ("state restored", lambda c, d: tuple(int(x) for x in c.lookup_domain("test").state())),
    ("restore active", lambda c, d: c.restore(str(d / "t.save"))),
    ("save xml", lambda c, d: c.lookup_domain("test").save(str(d / "u.save"), "<domain/>")),
    ("restore missing", lambda c, d: c.restore(str(d / "missing.save"))),
    ("managed save", lambda c, d: c.lookup_domain("test").managed_save()),
    ("has managed save", lambda c, d: c.lookup_domain("test").has_managed_save()),
    ("managed xml", lambda c, d: c.lookup_domain("test").managed_save_xml()),
    ("define managed xml", lambda c, d: c.lookup_domain("test").define_managed_save_xml(None, SaveFlags.PAUSED)),
    ("force boot", lambda c, d: c.lookup_domain("test").start(StartFlags.FORCE_BOOT)),
    ("start", lambda c, d: c.lookup_domain("test").start()),
    ("has managed save after", lambda c, d: c.lookup_domain("test").has_managed_save()),
]


def _outcomes(uri: str, folder: Path) -> list[tuple[str, object]]:
    folder.mkdir()
    found: list[tuple[str, object]] = []
    with virt.open(uri) as conn:
        for name, step in STEPS:
            try:
                result = step(conn, folder)
                found.append((name, str(result).replace(str(folder), "DIR")))
            except VirtError as exc:
                found.append((name, (int(exc.code), exc.message.replace(str(folder), "DIR"))))
    return found


@pytest.mark.parametrize("side", ["virtd", "local"])
def test_the_remote_client_gets_libvirtds_outcomes(virtd: Virtd, libvirtd: Libvirtd, tmp_path: Path, side: str) -> None:
    theirs = _outcomes(libvirtd.uri(), tmp_path / "libvirtd")
    ours = _outcomes(virtd.uri() if side == "virtd" else "test:///default", tmp_path / side)
    assert ours == theirs
