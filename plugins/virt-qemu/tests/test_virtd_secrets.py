"""Secrets through virtd's ``qemu:///system`` (the host's secret service), side by side with libvirtd
9.0's secret driver: the same python3-libvirt session and the same virsh commands print the same on
both, ``virt``'s own secret verbs print what virsh prints, and values are sealed on virtd's disk.

virtd runs over a private ``VIRT_QEMU_ROOT`` and ``VIRT_SECRETS_ROOT``; libvirtd in its private
namespace with its QEMU and secret drivers. Every secret here has a fixed UUID, so outputs compare
as they are (a generated UUID in the python session is the only thing set aside).
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from daemon_support import private_qemu_root, qemu_uri, virtd_serving
from virt.testing import VIRSH, missing_dependency, need_virsh, start_libvirtd

SCRIPT = Path(__file__).with_name("secret_client_script.py")
PUPPY = "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f"
CEPH = "5ee1c3a1-4a1f-4a40-9d3f-2a9d3e0b8f01"
TLS = "7c3d2e10-95b1-4c4e-a4a7-0d0fa1b2c3d4"
MISSING = "11111111-2222-3333-4444-555555555555"
PLAINTEXT = b"Rex the puppy, 4711"
FIXED = {PUPPY, CEPH, TLS, MISSING}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def generated_uuids_set_aside(text: str) -> str:
    return UUID.sub(lambda m: m.group(0) if m.group(0) in FIXED else "UUID", text)


@attrs.frozen
class Daemons:
    libvirtd: str
    virtd: str
    virtd_for_cli: str
    secrets_root: Path
    """virtd's VIRT_SECRETS_ROOT (the virsh side's)."""


@contextlib.contextmanager
def daemons() -> Iterator[Daemons]:
    """libvirtd 9.0 with its secret driver; two virtds (one for virsh, one for ``virt``), each over
    private QEMU and secret folders."""
    need_virsh()
    with (
        private_qemu_root("vse") as root,
        private_qemu_root("vsc") as cli_root,
        start_libvirtd(drivers=("qemu", "secret")) as libvirtd,
        pytest.MonkeyPatch.context() as env,
    ):
        env.setenv("VIRT_SECRETS_ROOT", str(root / "secrets"))
        with virtd_serving(root) as virtd:
            env.setenv("VIRT_SECRETS_ROOT", str(cli_root / "secrets"))
            with virtd_serving(cli_root) as cli_virtd:
                yield Daemons(qemu_uri(libvirtd), qemu_uri(virtd), qemu_uri(cli_virtd), root / "secrets")


def readonly(uri: str) -> str:
    return uri.replace("virtd-sock", "virtd-sock-ro").replace("libvirt-sock", "libvirt-sock-ro")


def run_script(uri: str) -> str:
    done = subprocess.run(
        ["/usr/bin/python3", str(SCRIPT), uri, readonly(uri)], capture_output=True, text=True, timeout=120, check=False
    )
    if "No module named 'libvirt'" in done.stderr:
        missing_dependency("python3-libvirt is not installed")
    return generated_uuids_set_aside(f"{done.returncode}\n{done.stdout}{done.stderr}")


def sealed_files_hold_no_plaintext(root: Path) -> None:
    everything = b"".join(path.read_bytes() for path in root.rglob("*") if path.is_file())
    for form in (PLAINTEXT, base64.b64encode(PLAINTEXT), PLAINTEXT.hex().encode()):
        assert form not in everything


def test_python_libvirt_sees_the_same_secrets() -> None:
    with daemons() as found:
        theirs = run_script(found.libvirtd)
        ours = run_script(found.virtd)
    assert theirs.startswith("0\n"), theirs
    assert "event lifecycle 5ee1c3a1-4a1f-4a40-9d3f-2a9d3e0b8f01 1 0" in theirs  # the events did come
    assert ours == theirs


def steps(folder: Path) -> list[list[str]]:
    def xml(name: str, text: str) -> str:
        (folder / name).write_text(text)
        return str(folder / name)

    puppy = xml(
        "puppy.xml",
        f"<secret ephemeral='no' private='yes'><description>first &amp; only</description><uuid>{PUPPY}</uuid>"
        "<usage type='volume'><volume>/var/lib/libvirt/images/puppy.img</volume></usage></secret>",
    )
    ceph = xml(
        "ceph.xml", f"<secret ephemeral='yes'><uuid>{CEPH}</uuid><usage type='ceph'><name>admin</name></usage></secret>"
    )
    tls = xml("tls.xml", f"<secret><uuid>{TLS}</uuid><usage type='tls'><name>tls0</name></usage></secret>")
    bad = xml("bad.xml", "<secret><bogus/></secret>")
    taken = xml("taken.xml", "<secret><usage type='tls'><name>tls0</name></usage></secret>")
    unknown = xml("unknown.xml", "<secret><usage type='bogus'><name>x</name></usage></secret>")
    encoded = folder / "value.b64"
    encoded.write_bytes(base64.b64encode(PLAINTEXT) + b"\n")
    raw = folder / "value.txt"
    raw.write_bytes(PLAINTEXT + b"\n")
    (folder / "empty.txt").write_bytes(b"")
    return [
        ["secret-list"],
        ["secret-define", puppy],
        ["secret-define", ceph],
        ["secret-define", tls],
        ["secret-define", "--validate", bad],
        ["secret-define", taken],
        ["secret-define", unknown],
        ["secret-define", str(folder / "nofile.xml")],
        ["secret-list"],
        ["secret-list", "--ephemeral"],
        ["secret-list", "--no-ephemeral", "--private"],
        ["secret-list", "--no-private"],
        ["secret-dumpxml", PUPPY],
        ["secret-dumpxml", PUPPY, "--xpath", "//usage/@type"],
        ["secret-dumpxml", PUPPY, "--xpath", "//usage/@type", "--wrap"],
        ["secret-dumpxml", PUPPY, "--xpath", "//usage"],
        ["secret-dumpxml", "nope"],
        ["secret-dumpxml", MISSING],
        ["secret-get-value", TLS],
        ["secret-set-value", TLS, "--file", str(encoded)],
        ["secret-get-value", TLS],
        ["secret-get-value", TLS, "--plain"],
        ["secret-set-value", TLS, "--file", str(raw), "--plain"],
        ["secret-get-value", TLS, "--plain"],
        ["secret-set-value", CEPH, "YWJjZA=="],
        ["secret-get-value", CEPH],
        ["secret-set-value", CEPH, "--base64", "not base64!!"],
        ["secret-get-value", CEPH],
        ["secret-set-value", CEPH, "--plain", "YWJj"],
        ["secret-set-value", CEPH, "--file", str(raw), "--interactive"],
        ["secret-set-value", CEPH],
        ["secret-set-value", CEPH, "--file", str(folder / "empty.txt")],
        ["secret-set-value", CEPH, "--file", str(folder / "nofile")],
        ["secret-set-value", PUPPY, "--file", str(encoded)],
        ["secret-get-value", PUPPY],
        ["secret-set-value", MISSING, "--base64", "YQ=="],
        ["-r", "secret-list"],
        ["-r", "secret-dumpxml", CEPH],
        ["-r", "secret-get-value", TLS],
        ["-r", "secret-set-value", TLS, "--file", str(encoded)],
        ["-r", "secret-undefine", TLS],
        ["-r", "secret-define", tls],
        ["secret-event", "--list"],
        ["secret-event", "--event", "bogus"],
        ["secret-event"],
        ["secret-undefine", CEPH],
        ["secret-undefine", CEPH],
        ["secret-list"],
    ]


def run(program: str, uri: str, args: list[str]) -> str:
    done = subprocess.run(
        [program, "-c", uri, *args], capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL
    )
    return f"{done.returncode}\n{done.stdout}{done.stderr}"


def test_virsh_and_virt_print_the_same_as_with_libvirtd() -> None:
    virt_command = str(Path(sys.executable).parent / "virt")
    folder = Path(tempfile.mkdtemp(prefix="vsecret", dir="/tmp"))
    wrong = []
    try:
        with daemons() as found:
            for step in steps(folder):
                theirs = run(VIRSH, found.libvirtd, step)
                for name, program, uri in (("virsh", VIRSH, found.virtd), ("virt", virt_command, found.virtd_for_cli)):
                    ours = run(program, uri, step)
                    if ours != theirs:
                        wrong.append(f"{' '.join(step)}\n--- libvirtd:\n{theirs}\n--- {name} on virtd:\n{ours}")
            # the persistent values are on virtd's disk, sealed
            values = list((found.secrets_root / "state" / "secrets").glob("*.aesgcm"))
            assert {path.stem for path in values} == {PUPPY, TLS}
            sealed_files_hold_no_plaintext(found.secrets_root)
            key = found.secrets_root / "state" / "master.key"
            assert key.stat().st_mode & 0o777 == 0o600
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert not wrong, "\n\n".join(wrong)


def watch_events(program: str, uri: str, folder: Path) -> list[str]:
    """``secret-event --loop`` for each event id while a secret is defined, given a value and
    undefined: the lines printed (a probe secret, defined until the listeners answer, comes first)."""
    probe = folder / "probe.xml"
    probe.write_text(
        f"<secret ephemeral='yes'><uuid>{MISSING}</uuid><usage type='tls'><name>probe</name></usage></secret>"
    )
    outputs = []
    listeners = []
    for event in ("lifecycle", "value-changed"):
        out = folder / f"{event}.txt"
        out.write_text("")
        outputs.append(out)
        listeners.append(
            subprocess.Popen(
                [program, "-c", uri, "secret-event", "--event", event, "--loop", "--timeout", "30"],
                stdout=out.open("a"), stderr=subprocess.STDOUT, text=True,
            )
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not all(MISSING in out.read_text() for out in outputs):
            assert time.monotonic() < deadline, [out.read_text() for out in outputs]
            run(VIRSH, uri, ["secret-define", str(probe)])
            run(VIRSH, uri, ["secret-set-value", MISSING, "--base64", "YQ=="])
            time.sleep(0.3)
        run(VIRSH, uri, ["secret-undefine", MISSING])
        time.sleep(0.5)
        for out in outputs:
            out.write_text("")
        tls = folder / "tls.xml"
        tls.write_text(f"<secret><uuid>{TLS}</uuid><usage type='tls'><name>tls0</name></usage></secret>")
        run(VIRSH, uri, ["secret-define", str(tls)])
        run(VIRSH, uri, ["secret-set-value", TLS, "--base64", "YQ=="])
        run(VIRSH, uri, ["secret-undefine", TLS])
        deadline = time.monotonic() + 10
        while sum(len(out.read_text().splitlines()) for out in outputs) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        return [line for out in outputs for line in out.read_text().splitlines()]
    finally:
        for listener in listeners:
            listener.terminate()
            listener.wait(10)


def test_secret_events_print_the_same() -> None:
    virt_command = str(Path(sys.executable).parent / "virt")
    folder = Path(tempfile.mkdtemp(prefix="vsecret", dir="/tmp"))
    try:
        with daemons() as found:
            theirs = watch_events(VIRSH, found.libvirtd, folder)
            assert theirs == [
                f"event 'lifecycle' for secret {TLS}: Defined",
                f"event 'lifecycle' for secret {TLS}: Undefined",
                f"event 'value-changed' for secret {TLS}",
            ]
            assert watch_events(VIRSH, found.virtd, folder) == theirs
            assert watch_events(virt_command, found.virtd_for_cli, folder) == theirs
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_an_in_process_connection_shares_the_persistent_secrets_and_seals_them(tmp_path: Path) -> None:
    """``qemu:///system`` in-process (no daemon) reaches the same service folders: a secret defined
    there is seen by a later process, its value sealed on disk."""
    env = {
        **os.environ,
        "VIRT_DAEMON": "never",
        "VIRT_QEMU_ROOT": str(tmp_path / "qemu"),
        "VIRT_SECRETS_ROOT": str(tmp_path / "secrets"),
    }
    code = (
        "import sys, virt\n"
        "with virt.open('qemu:///system') as conn:\n"
        "    if sys.argv[1] == 'define':\n"
        f"        s = conn.define_secret(\"<secret><uuid>{TLS}</uuid><usage type='tls'><name>t</name></usage></secret>\")\n"
        f"        s.set_value({PLAINTEXT!r})\n"
        "    else:\n"
        f"        print(conn.lookup_secret_by_usage(4, 't').value().decode())\n"
    )
    for action in ("define", "read"):
        done = subprocess.run(
            [sys.executable, "-c", code, action], capture_output=True, text=True, env=env, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
    assert done.stdout == PLAINTEXT.decode() + "\n"
    sealed_files_hold_no_plaintext(tmp_path / "secrets")


def test_the_public_api_over_virtd() -> None:
    """virt's own Connection through virtd: Secret handles, values, filters, both kinds of events
    (with a secret filter), and a read-only connection that may look but not read values."""
    import threading

    import virt
    from virt.errors import OperationDenied
    from virt.secrets import SECRET_EVENT_ID_LIFECYCLE, SECRET_EVENT_ID_VALUE_CHANGED, ListFlags, UsageType

    with private_qemu_root("vsa") as root, pytest.MonkeyPatch.context() as env:
        env.setenv("VIRT_SECRETS_ROOT", str(root / "secrets"))
        with virtd_serving(root) as virtd, virt.open(qemu_uri(virtd)) as conn:
            seen: list[tuple[str, int, object]] = []
            arrived = threading.Event()

            def record(secret: virt.secrets.Secret, event: virt.secrets.SecretEvent) -> None:
                seen.append((str(secret.uuid), event.event_id, event.type))
                if len(seen) == 3:
                    arrived.set()

            other = conn.define_secret(f"<secret><uuid>{CEPH}</uuid><usage type='ceph'><name>c</name></usage></secret>")
            handles = [
                conn.add_secret_event_callback(record, SECRET_EVENT_ID_LIFECYCLE),
                conn.add_secret_event_callback(record, SECRET_EVENT_ID_VALUE_CHANGED),
            ]
            conn.add_secret_event_callback(lambda s, e: seen.append(("other", e.event_id, e.type)), 1, other)
            tls = conn.define_secret(
                f"<secret private='yes'><uuid>{TLS}</uuid><usage type='tls'><name>t</name></usage></secret>"
            )
            assert (tls.usage_type, tls.usage_id) == (UsageType.TLS, "t")
            tls.set_value(PLAINTEXT)
            with pytest.raises(virt.VirtError, match="Invalid secret: secret is private"):
                tls.value()
            assert [s.uuid for s in conn.list_secrets(ListFlags.PRIVATE)] == [tls.uuid]
            assert conn.lookup_secret_by_usage(UsageType.TLS, "t") == tls
            with virt.open(qemu_uri(virtd), readonly=True) as ro:
                found = ro.lookup_secret_by_uuid(CEPH)
                assert "<name>c</name>" in found.xml()
                with pytest.raises(OperationDenied, match="read only access prevents virSecretGetValue"):
                    found.value()
            tls.undefine()
            assert arrived.wait(10), seen
            for handle in handles:
                conn.remove_secret_event_callback(handle)
            other.undefine()
    assert seen == [
        (TLS, SECRET_EVENT_ID_LIFECYCLE, virt.secrets.SecretEventType.DEFINED),
        (TLS, SECRET_EVENT_ID_VALUE_CHANGED, None),
        (TLS, SECRET_EVENT_ID_LIFECYCLE, virt.secrets.SecretEventType.UNDEFINED),
    ]
