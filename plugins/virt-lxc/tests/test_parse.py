"""Domain XML -> ContainerSpec: what is read, what defaults apply, and refusals naming the element."""

from __future__ import annotations

import pytest
from virt.errors import VirtError
from virt.xml import Domain
from virt_lxc import capabilities
from virt_lxc.parse import container_spec
from virt_lxc.spec import BlkioDevice, IdMap, IPAddress, Mount, Route, SharedNamespace

UUID = "8369f1ac-7e46-e869-4ca5-759d51478066"


def spec_of(body: str, *, devices: str = "", head: str = "", domain_type: str = "lxc"):  # type: ignore[no-untyped-def]
    xml = (
        f"<domain type='{domain_type}' xmlns:lxc='http://libvirt.org/schemas/domain/lxc/1.0'>"
        f"<name>demo</name><uuid>{UUID}</uuid><memory unit='MiB'>128</memory>{head}"
        f"<os><type>exe</type><init>/sbin/init</init></os>{body}<devices>{devices}</devices></domain>"
    )
    return container_spec(Domain.from_xml(xml))


def refused(match: str, body: str = "", **kwargs: str) -> None:
    with pytest.raises(VirtError, match=match):
        spec_of(body, **kwargs)


def test_a_minimal_container() -> None:
    spec = spec_of("")
    assert (spec.name, spec.uuid, spec.init, spec.init_args) == ("demo", UUID, "/sbin/init", ())
    assert spec.root is None and spec.mounts == () and spec.interfaces == ()
    assert spec.resources.memory_kib == 128 * 1024
    assert not spec.private_network and not spec.user_namespace
    assert spec.vcpus == 1 and spec.consoles == 0


def test_the_os_element() -> None:
    xml = (
        "<domain type='lxc'><name>demo</name><memory>1024</memory><uuid>"
        f"{UUID}</uuid><os><type arch='x86_64'>exe</type><init>/bin/systemd</init><initarg>--unit</initarg>"
        "<initarg>emergency.service</initarg><initenv name='FOO'>bar baz</initenv><initdir>/srv</initdir>"
        "<inituser>daemon</inituser><initgroup>adm</initgroup><cmdline>quiet</cmdline></os></domain>"
    )
    spec = container_spec(Domain.from_xml(xml))
    assert spec.init == "/bin/systemd"
    assert spec.init_args == ("--unit", "emergency.service")
    assert spec.init_env == (("FOO", "bar baz"),)
    assert (spec.init_dir, spec.init_user, spec.init_group, spec.cmdline) == ("/srv", "daemon", "adm", "quiet")


def test_filesystems() -> None:
    spec = spec_of(
        "",
        devices="<filesystem type='mount'><source dir='/srv/root'/><target dir='/'/><readonly/></filesystem>"
        "<filesystem type='mount'><source dir='/etc/resolv.conf'/><target dir='/etc/resolv.conf'/></filesystem>"
        "<filesystem type='bind'><source dir='/data'/><target dir='/mnt/data//x/'/></filesystem>"
        "<filesystem type='ram'><source usage='8' units='MiB'/><target dir='/run'/></filesystem>",
    )
    assert spec.root == Mount("mount", "/", "/srv/root", True)
    assert spec.mounts == (
        Mount("mount", "/etc/resolv.conf", "/etc/resolv.conf"),
        Mount("bind", "/mnt/data/x", "/data"),
        Mount("ram", "/run", None, False, 8192),
    )


def test_interfaces() -> None:
    spec = spec_of(
        "",
        devices="<interface type='bridge'><mac address='52:54:00:AA:BB:CC'/><source bridge='br0'/>"
        "<ip address='192.168.122.2' prefix='24'/><ip address='2001:db8::2' family='ipv6' prefix='64'/>"
        "<route family='ipv4' address='0.0.0.0' gateway='192.168.122.1'/><guest dev='net0'/><target dev='veth7'/>"
        "<link state='up'/><mtu size='1400'/></interface>"
        "<interface type='ethernet'><mac address='52:54:00:00:00:01'/><ip address='10.0.0.2'/></interface>"
        "<interface type='network'><mac address='52:54:00:00:00:02'/><source network='default'/></interface>",
    )
    bridged, ethernet, network = spec.interfaces
    assert (bridged.kind, bridged.bridge, bridged.mac, bridged.guest_name, bridged.host_name) == (
        "bridge", "br0", "52:54:00:aa:bb:cc", "net0", "veth7",
    )  # fmt: skip
    assert bridged.addresses == (IPAddress("ipv4", "192.168.122.2", 24), IPAddress("ipv6", "2001:db8::2", 64))
    assert bridged.routes == (Route("ipv4", "0.0.0.0", 0, "192.168.122.1"),)
    assert (bridged.link_up, bridged.mtu) == (True, 1400)
    assert ethernet.guest_name == "eth1"  # ethN by position, as libvirt names them
    assert ethernet.addresses == (IPAddress("ipv4", "10.0.0.2", 8),)  # the old class A prefix
    assert (network.kind, network.network) == ("network", "default")
    assert spec.private_network


def test_resources() -> None:
    spec = spec_of(
        "",
        head="<memtune><hard_limit unit='MiB'>100</hard_limit><soft_limit unit='MiB'>50</soft_limit>"
        "<swap_hard_limit unit='GiB'>1</swap_hard_limit></memtune><blkiotune><weight>500</weight>"
        "<device><path>/dev/sda</path><weight>300</weight><read_bytes_sec>1000</read_bytes_sec></device></blkiotune>"
        "<vcpu cpuset='0-1'>2</vcpu><cputune><shares>2048</shares><period>100000</period><quota>50000</quota>"
        "</cputune><numatune><memory mode='strict' nodeset='0'/></numatune>",
    )
    resources = spec.resources
    assert (resources.hard_limit_kib, resources.soft_limit_kib, resources.swap_hard_limit_kib) == (
        102400, 51200, 1048576,
    )  # fmt: skip
    assert (resources.cpu_shares, resources.cpu_period, resources.cpu_quota) == (2048, 100000, 50000)
    assert (resources.cpuset, resources.memory_nodes, spec.vcpus) == ((0, 1), (0,), 2)
    assert resources.blkio_weight == 500
    assert resources.blkio_devices == (BlkioDevice("/dev/sda", weight=300, read_bytes_sec=1000),)


def test_idmap_features_and_namespaces() -> None:
    spec = spec_of(
        "<idmap><uid start='0' target='100000' count='65536'/><gid start='0' target='100000' count='65536'/></idmap>"
        "<features><privnet/><capabilities policy='default'><mknod state='on'/><sys_chroot state='off'/>"
        "</capabilities></features>"
        "<lxc:namespace><lxc:sharenet type='netns' value='red'/><lxc:shareuts type='name' value='other'/>"
        "<lxc:shareipc type='pid' value='12345'/></lxc:namespace>",
    )
    assert spec.uid_map == spec.gid_map == (IdMap(0, 100000, 65536),)
    assert spec.privnet and not spec.private_network  # sharing a network namespace wins over privnet
    assert spec.shared == (
        SharedNamespace("net", "netns", "red"),
        SharedNamespace("uts", "name", "other"),
        SharedNamespace("ipc", "pid", "12345"),
    )
    states = dict(spec.capabilities.states)
    assert states == {capabilities.NUMBERS["mknod"]: True, capabilities.NUMBERS["sys_chroot"]: False}


def test_consoles_are_numbered_in_order() -> None:
    spec = spec_of("", devices="<console type='pty'><target type='lxc' port='0'/></console><console type='pty'/>")
    assert spec.consoles == 2
    refused(
        "/domain/devices/console/target/@port: console ports are numbered from 0 in order: this one is 0",
        devices="<console type='pty'><target type='lxc' port='3'/></console>",
    )


@pytest.mark.parametrize(
    ("match", "kwargs"),
    [
        ("/domain/@type: domain type 'kvm' is not an LXC container", {"domain_type": "kvm"}),
        ("/domain/devices/disk: this device is not supported by the LXC driver", {"devices": "<disk type='file'/>"}),
        ("/domain/devices/filesystem/@type: 'block' is not supported", {"devices": "<filesystem type='block'/>"}),
        ("/domain/devices/filesystem/@accessmode: 'mapped' is not supported",
         {"devices": "<filesystem accessmode='mapped'><source dir='/a'/><target dir='/b'/></filesystem>"}),
        ("/domain/devices/filesystem/target/@dir: 'b' is not an absolute path",
         {"devices": "<filesystem><source dir='/a'/><target dir='b'/></filesystem>"}),
        ("/domain/devices/filesystem\\[2\\]: a second filesystem for '/'",
         {"devices": "<filesystem><source dir='/a'/><target dir='/'/></filesystem>"
                     "<filesystem><source dir='/b'/><target dir='/'/></filesystem>"}),
        ("/domain/devices/filesystem/target/@dir: the root filesystem must be a host directory",
         {"devices": "<filesystem type='ram'><source usage='1'/><target dir='/'/></filesystem>"}),
        ("/domain/devices/interface/@type: 'user' is not supported",
         {"devices": "<interface type='user'><mac address='52:54:00:00:00:01'/></interface>"}),
        ("/domain/devices/interface: the interface has no <mac address>",
         {"devices": "<interface type='ethernet'/>"}),
        ("/domain/devices/interface/ip/@address: '10.0.0.300' is not an IP address",
         {"devices": "<interface type='ethernet'><mac address='52:54:00:00:00:01'/><ip address='10.0.0.300'/></interface>"}),
        ("/domain/devices/interface/guest/@dev: 'a-name-far-too-long' is not a network interface name",
         {"devices": "<interface type='ethernet'><mac address='52:54:00:00:00:01'/><guest dev='a-name-far-too-long'/></interface>"}),
        ("/domain/devices/interface/model: this element is not supported",
         {"devices": "<interface type='ethernet'><mac address='52:54:00:00:00:01'/><model type='virtio'/></interface>"}),
        ("/domain/devices/console/@type: 'file' is not supported", {"devices": "<console type='file'/>"}),
        ("/domain/devices/serial: this device is not supported", {"devices": "<serial type='pty'/>"}),
        ("/domain/cpu: this element is not supported", {"head": "<cpu mode='host-model'/>"}),
        ("/domain/vcpu/@placement: 'auto' is not supported", {"head": "<vcpu placement='auto'>1</vcpu>"}),
        ("/domain/memtune/min_guarantee: this element is not supported",
         {"head": "<memtune><min_guarantee>1</min_guarantee></memtune>"}),
        ("/domain/cputune/vcpupin: this element is not supported",
         {"head": "<cputune><vcpupin vcpu='0' cpuset='1'/></cputune>"}),
        ("/domain/vcpu/@cpuset: 'x' is not a CPU list", {"head": "<vcpu cpuset='x'>1</vcpu>"}),
        ("/domain/idmap: a user namespace needs both <uid> and <gid> mappings",
         {"body": "<idmap><uid start='0' target='1000' count='10'/></idmap>"}),
        ("/domain/idmap: the gid mappings must map the container's root",
         {"body": "<idmap><uid start='0' target='1' count='1'/><gid start='5' target='1' count='1'/></idmap>"}),
        ("/domain/features/capabilities/sys_nonsense: unknown capability 'sys_nonsense'",
         {"body": "<features><capabilities><sys_nonsense state='on'/></capabilities></features>"}),
        ("/domain/features/hyperv: this element is not supported", {"body": "<features><hyperv/></features>"}),
        ("/domain/clock/@offset: a container shares the host's clock", {"body": "<clock offset='localtime'/>"}),
        ("/domain/on_crash: 'restart' is not supported for a container", {"body": "<on_crash>restart</on_crash>"}),
        ("/domain/seclabel: security labels \\(SELinux, AppArmor\\) are not supported",
         {"body": "<seclabel type='dynamic' model='selinux'/>"}),
        ("/domain/lxc:namespace/lxc:shareuts/@type: type 'netns' names a network namespace",
         {"body": "<lxc:namespace><lxc:shareuts type='netns' value='x'/></lxc:namespace>"}),
        ("/domain/lxc:namespace: a container sharing another's network \\(lxc:sharenet\\) cannot have <interface>s",
         {"body": "<lxc:namespace><lxc:sharenet type='pid' value='1'/></lxc:namespace>",
          "devices": "<interface type='ethernet'><mac address='52:54:00:00:00:01'/></interface>"}),
    ],
)  # fmt: skip
def test_refusals_name_the_element(match: str, kwargs: dict[str, str]) -> None:
    refused(match, **kwargs)


def test_init_is_required_and_absolute() -> None:
    with pytest.raises(VirtError, match="XML error: init binary must be specified"):
        container_spec(Domain.from_xml(f"<domain type='lxc'><name>x</name><uuid>{UUID}</uuid><memory>1</memory>"
                                       "<os><type>exe</type></os></domain>"))  # fmt: skip
    with pytest.raises(VirtError, match="/domain/os/init: 'sbin/init' is not an absolute path"):
        container_spec(Domain.from_xml(f"<domain type='lxc'><name>x</name><uuid>{UUID}</uuid><memory>1</memory>"
                                       "<os><type>exe</type><init>sbin/init</init></os></domain>"))  # fmt: skip


def test_names_that_cannot_be_files_are_refused() -> None:
    xml = f"<domain type='lxc'><name>a/b</name><uuid>{UUID}</uuid><memory>1</memory><os><type>exe</type><init>/i</init></os></domain>"
    with pytest.raises(VirtError, match="name 'a/b' cannot be used for a container"):
        container_spec(Domain.from_xml(xml))


def test_the_libvirt_corpus_lxc_document_is_understood() -> None:
    from virt.testing import require_corpus

    text = (require_corpus("domain-roundtrip-lxc") / "lxc-filesystem-ram.xml").read_text()
    with pytest.raises(VirtError, match="the root filesystem must be a host directory"):
        container_spec(Domain.from_xml(text))  # its root is type='bind': libvirt's parser test, not a startable one
    spec = container_spec(Domain.from_xml(text.replace("type='bind'", "type='mount'")))
    assert [m.size_kib for m in spec.mounts] == [1048576, 1024, 1024]
    assert spec.consoles == 1
