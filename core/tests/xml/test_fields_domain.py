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
