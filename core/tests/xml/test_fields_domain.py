"""Domain fields outside <devices> the conformance corpus does not reach.

Each document is libvirt 9.0's own output for it (``defineXML`` + ``XMLDesc`` on
``test:///default`` gives it back unchanged), except where a comment says otherwise.
"""

from __future__ import annotations

from field_coverage import roundtrip
from virt.xml import Domain

LIFECYCLE_AND_TUNING = """\
<domain type='qemu'>
  <name>fields</name>
  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
  <memory unit='KiB'>219136</memory>
  <currentMemory unit='KiB'>219136</currentMemory>
  <vcpu placement='static' current='2'>4</vcpu>
  <vcpus>
    <vcpu id='0' enabled='yes' hotpluggable='no' order='1'/>
    <vcpu id='1' enabled='yes' hotpluggable='yes' order='2'/>
    <vcpu id='2' enabled='no' hotpluggable='yes'/>
    <vcpu id='3' enabled='no' hotpluggable='yes'/>
  </vcpus>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <clock offset='timezone' timezone='Europe/Paris'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <on_lockfailure>poweroff</on_lockfailure>
  <perf>
    <event name='cmt' enabled='yes'/>
    <event name='mbmt' enabled='no'/>
  </perf>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
  </devices>
  <keywrap>
    <cipher name='aes' state='on'/>
    <cipher name='dea' state='off'/>
  </keywrap>
</domain>
"""

CPUTUNE = """\
<domain type='qemu'>
  <name>fields</name>
  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
  <memory unit='KiB'>219136</memory>
  <currentMemory unit='KiB'>219136</currentMemory>
  <vcpu placement='static'>6</vcpu>
  <cputune>
    <shares>2048</shares>
    <period>1000000</period>
    <quota>-1</quota>
    <emulator_period>1000000</emulator_period>
    <emulator_quota>-1</emulator_quota>
    <cachetune vcpus='0-3'>
      <cache id='0' level='3' type='both' size='3' unit='MiB'/>
      <monitor level='3' vcpus='1'/>
      <monitor level='3' vcpus='0-3'/>
    </cachetune>
    <cachetune vcpus='4-5'>
      <monitor level='3' vcpus='4'/>
    </cachetune>
  </cputune>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
  </devices>
</domain>
"""

# The <lxc:namespace> element is read by the LXC driver only (the test driver drops it); the
# shape is formatdomain's "Container boot" and drvlxc's "Namespace sharing".
CONTAINER = """\
<domain type='lxc' xmlns:lxc='http://libvirt.org/schemas/domain/lxc/1.0'>
  <name>container</name>
  <uuid>386f5b25-43ee-9d62-4ad1-2c1c1c8ab2b6</uuid>
  <memory unit='KiB'>1048576</memory>
  <currentMemory unit='KiB'>1048576</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64'>exe</type>
    <init>/bin/systemd</init>
    <initarg>--unit</initarg>
    <initarg>emergency.service</initarg>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/libexec/libvirt_lxc</emulator>
  </devices>
  <lxc:namespace>
    <lxc:sharenet type='netns' value='red'/>
    <lxc:shareuts type='name' value='container1'/>
  </lxc:namespace>
</domain>
"""


def test_lifecycle_vcpus_perf_keywrap() -> None:
    dom = roundtrip(LIFECYCLE_AND_TUNING)
    assert isinstance(dom, Domain)
    assert dom.on_lockfailure == "poweroff"
    assert dom.clock is not None and dom.clock.timezone == "Europe/Paris"


def test_cputune_emulator_and_cache_monitors() -> None:
    roundtrip(CPUTUNE)


def test_container_init_args_and_namespace() -> None:
    dom = roundtrip(CONTAINER)
    assert isinstance(dom, Domain) and dom.os is not None
    assert dom.os.initargs == ["--unit", "emergency.service"]


# What libvirt's VMX converter adds to a VM's XML on a vCenter connection (its vmware namespace):
# libvirt only writes these (its namespace has no parser); virt keeps them in place either way. The
# <boot> is the generic parser's default (libvirt's VMware parser gives none).
VMWARE_NAMESPACE = """\
<domain type='vmware' xmlns:vmware='http://libvirt.org/schemas/domain/vmware/1.0'>
  <name>fields</name>
  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
  <memory unit='KiB'>32768</memory>
  <currentMemory unit='KiB'>32768</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='i686'>hvm</type>
    <boot dev='hd'/>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <video>
      <model type='vmvga' vram='4096' primary='yes'/>
    </video>
  </devices>
  <vmware:datacenterpath>folder1/datacenter1</vmware:datacenterpath>
  <vmware:moref>vm-42</vmware:moref>
</domain>
"""


def test_vmware_namespace() -> None:
    dom = roundtrip(VMWARE_NAMESPACE)
    assert isinstance(dom, Domain)
    assert dom.vmware_moref is not None and dom.vmware_moref.text == "vm-42"
    assert dom.vmware_datacenterpath is not None and dom.vmware_datacenterpath.text == "folder1/datacenter1"


# An LXC container as libvirt 9.0 gives it back: private network namespace, process capabilities
# and a host interface moved in with its addresses and routes.
CONTAINER_FEATURES = """\
<domain type='lxc'>
  <name>fields</name>
  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
  <memory unit='KiB'>65536</memory>
  <currentMemory unit='KiB'>65536</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64'>exe</type>
    <init>/sbin/init</init>
  </os>
  <features>
    <privnet/>
    <capabilities policy='deny'>
      <chown state='on'/>
      <sys_admin state='on'/>
    </capabilities>
  </features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/libexec/libvirt_lxc</emulator>
    <filesystem type='mount' accessmode='passthrough'>
      <source dir='/srv/root'/>
      <target dir='/'/>
    </filesystem>
    <hostdev mode='capabilities' type='net'>
      <source>
        <interface>eth0.2</interface>
      </source>
      <ip address='192.168.122.2' family='ipv4' prefix='24'/>
      <ip address='2003:db8::2' family='ipv6' prefix='64'/>
      <route family='ipv4' address='0.0.0.0' gateway='192.168.122.1'/>
      <route family='ipv6' address='::' gateway='2003:db8::1'/>
      <alias name='ua-net0'/>
    </hostdev>
  </devices>
</domain>

"""


def test_container_features_and_net_hostdev() -> None:
    dom = roundtrip(CONTAINER_FEATURES)
    assert isinstance(dom, Domain) and dom.features is not None and dom.devices is not None
    assert dom.features.privnet
    assert dom.features.capabilities is not None and dom.features.capabilities.get("policy") == "deny"
    (hostdev,) = dom.devices.hostdevs
    assert [ip.get("address") for ip in hostdev.ips] == ["192.168.122.2", "2003:db8::2"]
    assert [route.get("gateway") for route in hostdev.routes] == ["192.168.122.1", "2003:db8::1"]


# a Xen HVM guest with the hypervisor features, put together from libvirt 9.0's xlconfigtest data
# test-fullvirt-hypervisor-features and test-fullvirt-nohap, and viridian turned on)
XEN_FEATURES = """\
<domain type='xen'>
  <name>fields</name>
  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
  <memory unit='KiB'>592896</memory>
  <currentMemory unit='KiB'>403456</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='xenfv'>hvm</type>
    <loader type='rom'>/usr/lib/xen/boot/hvmloader</loader>
    <boot dev='cdrom'/>
  </os>
  <features>
    <acpi/>
    <apic/>
    <pae/>
    <hap state='off'/>
    <viridian/>
    <xen>
      <passthrough state='on' mode='share_pt'/>
    </xen>
  </features>
  <clock offset='variable' adjustment='0' basis='utc'>
    <timer name='tsc' present='yes' mode='native'/>
  </clock>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>restart</on_crash>
  <devices>
    <controller type='xenbus' index='0' maxEventChannels='2047'/>
  </devices>
</domain>
"""


def test_xen_hypervisor_features() -> None:
    dom = roundtrip(XEN_FEATURES)
    assert isinstance(dom, Domain) and dom.features is not None
    assert dom.features.viridian
    assert dom.features.hap is not None and dom.features.hap.get("state") == "off"
