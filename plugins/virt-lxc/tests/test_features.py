"""What the domain XML asks of a container, checked from inside it (and from the host)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import virt
from lxc_support import Console, domain_xml, enter, install_init, wait_until


def out(capfd: pytest.CaptureFixture[str], name: str, *argv: str) -> str:
    capfd.readouterr()
    status = enter(name, *argv)
    text = capfd.readouterr().out
    assert status == 0, text
    return text


def test_user_namespace_from_idmap(conn: virt.Connection, rootfs: Path, capfd: pytest.CaptureFixture[str]) -> None:
    install_init(rootfs)
    idmap = (
        "<idmap><uid start='0' target='200000' count='65536'/><gid start='0' target='200000' count='65536'/></idmap>"
    )
    conn.create_domain(domain_xml("userns", rootfs, top=idmap))
    assert out(capfd, "userns", "id", "-u").strip() == "0"
    assert out(capfd, "userns", "cat", "/proc/self/uid_map").split() == ["0", "200000", "65536"]
    init = conn.driver.lxc.by_name("userns").running.init_pid  # type: ignore[attr-defined]
    uid_line = next(line for line in Path(f"/proc/{init}/status").read_text().splitlines() if line.startswith("Uid:"))
    assert uid_line.split()[1] == "200000"  # its root is an unprivileged user of the host
    # files of the host's root appear as nobody's; the container's root cannot write them
    assert out(capfd, "userns", "sh", "-c", "stat -c %u /bin/busybox; touch /etc/x 2>&1 || echo denied").split() == [
        "65534", "touch:", "/etc/x:", "Permission", "denied", "denied",
    ]  # fmt: skip


def test_the_host_root_shared_with_private_proc_dev_and_hostname(
    conn: virt.Connection, capfd: pytest.CaptureFixture[str]
) -> None:
    conn.create_domain(domain_xml("hostroot", None, init="/bin/sleep", args=["1000"], consoles=0))
    assert out(capfd, "hostroot", "hostname").strip() == "hostroot"
    processes = out(capfd, "hostroot", "sh", "-c", "ls /proc | grep -E '^[0-9]+$' | sort -n")
    assert processes.split()[0] == "1"  # its own /proc: its own PID namespace
    assert len(processes.split()) < 10
    assert sorted(out(capfd, "hostroot", "ls", "/dev").split()) == sorted(
        ["fd", "full", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"]
    )
    assert Path("/etc/hostname").exists()  # the host's files, seen in place
    assert "nodev" in out(capfd, "hostroot", "grep", " /proc ", "/proc/mounts")
    assert "ro," in out(capfd, "hostroot", "grep", " /sys ", "/proc/mounts")


def test_filesystems_readonly_root_ram_and_binds(
    conn: virt.Connection, rootfs: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    install_init(rootfs)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "hello").write_text("from the host\n")
    (rootfs / "data").mkdir()
    (rootfs / "data" / "inside").write_text("from inside\n")
    xml = domain_xml("fs", rootfs, filesystems=[
        f"<filesystem type='mount'><source dir='{shared}'/><target dir='/mnt/shared'/><readonly/></filesystem>",
        "<filesystem type='ram'><source usage='4' units='MiB'/><target dir='/run/scratch'/></filesystem>",
        "<filesystem type='bind'><source dir='/data'/><target dir='/srv/data'/></filesystem>",
    ]).replace("<target dir=\"/\" />", "<target dir=\"/\" /><readonly />")  # fmt: skip
    assert "<readonly />" in xml
    conn.create_domain(xml)
    assert out(capfd, "fs", "cat", "/mnt/shared/hello") == "from the host\n"
    assert out(capfd, "fs", "cat", "/srv/data/inside") == "from inside\n"
    assert "Read-only file system" in out(capfd, "fs", "sh", "-c", "touch /mnt/shared/x 2>&1; true")
    assert "Read-only file system" in out(capfd, "fs", "sh", "-c", "touch /etc/x 2>&1; true")  # the root itself
    mounts = out(capfd, "fs", "cat", "/proc/mounts")
    scratch = next(line for line in mounts.splitlines() if " /run/scratch " in line)
    assert scratch.startswith("tmpfs /run/scratch tmpfs") and "size=4096k" in scratch
    out(capfd, "fs", "sh", "-c", "echo written > /run/scratch/f && cat /run/scratch/f")


def test_init_environment_directory_and_identity(
    conn: virt.Connection, rootfs: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (rootfs / "work").mkdir()
    script = rootfs / "sbin" / "envinit"
    script.write_text(
        "#!/bin/sh\n{ env | sort; pwd; id -u; id -g; } > /tmp/env.new\nmv /tmp/env.new /tmp/env.txt\nexec sleep 1000\n"
    )
    script.chmod(0o755)
    (rootfs / "tmp").chmod(0o1777)
    (rootfs / "etc" / "passwd").write_text("root:x:0:0::/:/bin/sh\nappuser:x:1234:4321::/:/bin/sh\n")
    (rootfs / "etc" / "group").write_text("root:x:0:\nappgroup:x:4321:\nother:x:999:\n")
    xml = domain_xml("envs", rootfs, init="/sbin/envinit").replace(
        "<init>/sbin/envinit</init>",
        "<init>/sbin/envinit</init><initenv name='GREETING'>hello world</initenv><initdir>/work</initdir>"
        "<inituser>appuser</inituser><initgroup>other</initgroup><cmdline>quiet splash</cmdline>",
    )
    dom = conn.create_domain(xml)
    report = rootfs / "tmp" / "env.txt"
    wait_until(report.exists, what="the init's report")
    lines = report.read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines if "=" in line)
    assert env["GREETING"] == "hello world"
    assert env["container"] == "lxc-libvirt"
    assert env["LIBVIRT_LXC_NAME"] == "envs"
    assert env["LIBVIRT_LXC_UUID"] == env["container_uuid"] == str(dom.uuid)
    assert env["LIBVIRT_LXC_CMDLINE"] == "quiet splash"
    assert env["PATH"] == "/bin:/sbin"
    assert lines[-3:] == ["/work", "1234", "999"]


def test_capabilities_default_policy_and_xml_tuning(
    conn: virt.Connection, rootfs: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    install_init(rootfs)
    conn.create_domain(domain_xml("caps", rootfs))
    assert "Operation not permitted" in out(capfd, "caps", "sh", "-c", "mknod /tmp/n c 1 3 2>&1; true")
    init = conn.driver.lxc.by_name("caps").running.init_pid  # type: ignore[attr-defined]
    bounding = int(next(line for line in Path(f"/proc/{init}/status").read_text().splitlines()
                        if line.startswith("CapBnd:")).split()[1], 16)  # fmt: skip
    assert not bounding & (1 << 27)  # CAP_MKNOD
    assert bounding & (1 << 22)  # CAP_SYS_BOOT: kept, so init can reboot or power off its container
    tuned = "<capabilities policy='default'><mknod state='on'/><net_raw state='off'/></capabilities>"
    conn.create_domain(domain_xml("caps2", rootfs, features=tuned))
    out(capfd, "caps2", "mknod", "/tmp/n", "c", "1", "3")
    init = conn.driver.lxc.by_name("caps2").running.init_pid  # type: ignore[attr-defined]
    bounding = int(next(line for line in Path(f"/proc/{init}/status").read_text().splitlines()
                        if line.startswith("CapBnd:")).split()[1], 16)  # fmt: skip
    assert bounding & (1 << 27) and not bounding & (1 << 13)  # mknod kept, net_raw dropped


def test_cgroup_limits_reach_the_kernel(conn: virt.Connection, rootfs: Path) -> None:
    install_init(rootfs)
    online = sorted(os.sched_getaffinity(0))
    xml = domain_xml(
        "limits", rootfs, memory_mib=96,
        top=f"<memtune><hard_limit unit='MiB'>80</hard_limit><soft_limit unit='MiB'>40</soft_limit></memtune>"
        f"<vcpu cpuset='{online[-1]}'>1</vcpu><cputune><shares>512</shares><period>100000</period>"
        "<quota>25000</quota></cputune>",
    )  # fmt: skip
    dom = conn.create_domain(xml)
    cgroup = conn.driver.lxc.by_name("limits").running.cgroup  # type: ignore[attr-defined]

    def read(controller: str, v1: str, v2: str) -> str:
        found = cgroup.dir_for(controller)
        assert found is not None
        return (found.path / (v1 if found.version == 1 else v2)).read_text().strip()

    assert read("memory", "memory.limit_in_bytes", "memory.max") == str(80 * 1024 * 1024)
    assert read("memory", "memory.soft_limit_in_bytes", "memory.high") == str(40 * 1024 * 1024)
    assert read("cpuset", "cpuset.cpus", "cpuset.cpus") == str(online[-1])
    assert read("cpu", "cpu.shares", "cpu.weight") == "512"
    assert read("cpu", "cpu.cfs_quota_us", "cpu.max").split()[0] == "25000"
    info = dom.info()
    assert info.max_memory_kib == 96 * 1024 and info.cpu_time_ns > 0 and 0 < info.memory_kib < 80 * 1024


def test_several_consoles(conn: virt.Connection, rootfs: Path, capfd: pytest.CaptureFixture[str]) -> None:
    install_init(rootfs)
    dom = conn.create_domain(domain_xml("ttys", rootfs, consoles=2))
    links = out(capfd, "ttys", "sh", "-c", "for f in /dev/console /dev/tty1 /dev/tty2; do readlink $f; done")
    assert links.split() == ["pts/0", "pts/0", "pts/1"]
    second = Console(dom, "console1")
    try:
        out(capfd, "ttys", "sh", "-c", "echo on-the-second-tty > /dev/tty2")
        second.expect("on-the-second-tty")
    finally:
        second.close()
    with pytest.raises(virt.VirtError, match="the container has no console 5"):
        dom.open_console("console5")
    with pytest.raises(virt.VirtError, match="cannot find console device 'serial0'"):
        dom.open_console("serial0")
    first = Console(dom)
    try:
        with pytest.raises(virt.VirtError, match="Active console session exists for this domain"):
            dom.open_console()
        stolen = dom.open_console(force=True)  # takes it over: the first session is closed
        first.sock.settimeout(5)
        assert first.sock.recv(100) == b""
        stolen.close()
    finally:
        first.close()


def test_private_network_without_interfaces(
    conn: virt.Connection, rootfs: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    install_init(rootfs)
    conn.create_domain(domain_xml("privnet", rootfs, features="<privnet/>"))
    assert out(capfd, "privnet", "ls", "/sys/class/net").split() == ["lo"]
    assert "UP" in out(capfd, "privnet", "ip", "link", "show", "lo")
    conn.create_domain(domain_xml("hostnet", rootfs))
    host_devices = sorted(p.name for p in Path("/sys/class/net").iterdir())
    assert sorted(out(capfd, "hostnet", "ls", "/sys/class/net").split()) == host_devices  # libvirt's rule: shared


def test_namespaces_shared_with_others(conn: virt.Connection, rootfs: Path, capfd: pytest.CaptureFixture[str]) -> None:
    import subprocess

    install_init(rootfs)
    netns = f"vlt{os.getpid() % 100000}"
    subprocess.run(["ip", "netns", "add", netns], check=True)
    try:
        subprocess.run(
            ["ip", "-n", netns, "link", "add", "shared0", "type", "veth", "peer", "name", "shared1"], check=True
        )
        conn.create_domain(domain_xml("first", rootfs))
        namespace = (
            "<lxc:namespace xmlns:lxc='http://libvirt.org/schemas/domain/lxc/1.0'>"
            f"<lxc:sharenet type='netns' value='{netns}'/><lxc:shareuts type='name' value='first'/>"
            f"<lxc:shareipc type='pid' value='{os.getpid()}'/></lxc:namespace>"
        )
        conn.create_domain(domain_xml("second", rootfs, top=namespace))
        assert out(capfd, "second", "hostname").strip() == "first"  # the first container's UTS namespace
        assert "shared0" in out(capfd, "second", "ls", "/sys/class/net").split()  # the named network namespace
        init = conn.driver.lxc.by_name("second").running.init_pid  # type: ignore[attr-defined]
        assert os.readlink(f"/proc/{init}/ns/ipc") == os.readlink("/proc/self/ns/ipc")  # this process's IPC
        assert os.readlink(f"/proc/{init}/ns/net") != os.readlink("/proc/self/ns/net")
    finally:
        for domain in conn.list_domains(active=True):
            domain.destroy()
        subprocess.run(["ip", "netns", "del", netns], check=False)


def test_block_io_weight_where_the_host_has_one(conn: virt.Connection, rootfs: Path) -> None:
    """The weight goes to whichever file the I/O scheduler offers; with none, the start is refused, naming them."""
    install_init(rootfs)
    xml = domain_xml("blkio", rootfs, top="<blkiotune><weight>300</weight></blkiotune>")
    try:
        conn.create_domain(xml)
    except virt.VirtError as exc:
        assert "<blkiotune><weight>: this host's block I/O scheduler offers no weight" in exc.message
        assert conn.list_domains() == []
        return
    cgroup = conn.driver.lxc.by_name("blkio").running.cgroup  # type: ignore[attr-defined]
    folder = (cgroup.dir_for("blkio") or cgroup.dir_for("io")).path
    names = ("blkio.weight", "blkio.bfq.weight", "io.weight", "io.bfq.weight")
    written = [(folder / n).read_text().split()[-1] for n in names if (folder / n).exists()]
    assert written[0] == "300"
