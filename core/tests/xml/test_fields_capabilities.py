"""Capabilities fields: the conformance corpus has no capabilities documents at all.

The host part follows formatcaps' example (a libvirt 9.0 QEMU host, cut short), with the NUMA
cell of libvirt's test driver (``getCapabilities()`` on ``test:///default``); the Xen guest shows
the older per-domain emulator and machines, and the ``<loader>`` Xen HVM guests have.
"""

from __future__ import annotations

from field_coverage import roundtrip
from virt.xml import Capabilities

CAPABILITIES = """\
<capabilities>

  <host>
    <uuid>7b55704c-29f4-11b2-a85c-9dc6ff50623f</uuid>
    <cpu>
      <arch>x86_64</arch>
      <model>Skylake-Client-noTSX-IBRS</model>
      <vendor>Intel</vendor>
      <microcode version='236'/>
      <signature family='6' model='142' stepping='12'/>
      <counter name='tsc' frequency='2303997000' scaling='no'/>
      <topology sockets='1' dies='1' cores='4' threads='2'/>
      <maxphysaddr mode='emulate' bits='39'/>
      <feature name='ds'/>
      <feature name='vmx'/>
      <pages unit='KiB' size='4'/>
      <pages unit='KiB' size='2048'/>
    </cpu>
    <power_management>
      <suspend_mem/>
      <suspend_disk/>
      <suspend_hybrid/>
    </power_management>
    <iommu support='yes'/>
    <migration_features>
      <live/>
      <uri_transports>
        <uri_transport>tcp</uri_transport>
        <uri_transport>rdma</uri_transport>
      </uri_transports>
    </migration_features>
    <topology>
      <cells num='1'>
        <cell id='0'>
          <memory unit='KiB'>32498112</memory>
          <pages unit='KiB' size='4'>6813808</pages>
          <pages unit='KiB' size='2048'>2048</pages>
          <distances>
            <sibling id='0' value='10'/>
          </distances>
          <cpus num='2'>
            <cpu id='0' socket_id='0' die_id='0' core_id='0' siblings='0,1'/>
            <cpu id='1' socket_id='0' die_id='0' core_id='0' siblings='0,1'/>
          </cpus>
        </cell>
      </cells>
    </topology>
    <cache>
      <bank id='0' level='3' type='both' size='8' unit='MiB' cpus='0-1'/>
    </cache>
    <memory_bandwidth>
      <node id='0' cpus='0-1'>
        <control granularity='10' min='10' maxAllocs='8'/>
      </node>
    </memory_bandwidth>
    <secmodel>
      <model>none</model>
      <doi>0</doi>
    </secmodel>
    <secmodel>
      <model>dac</model>
      <doi>0</doi>
      <baselabel type='kvm'>+77:+77</baselabel>
      <baselabel type='qemu'>+77:+77</baselabel>
    </secmodel>
  </host>

  <guest>
    <os_type>hvm</os_type>
    <arch name='x86_64'>
      <wordsize>64</wordsize>
      <emulator>/usr/bin/qemu-system-x86_64</emulator>
      <machine maxCpus='255'>pc-i440fx-7.1</machine>
      <machine canonical='pc-i440fx-7.1' maxCpus='255'>pc</machine>
      <machine maxCpus='255' deprecated='yes'>pc-i440fx-1.5</machine>
      <domain type='qemu'/>
      <domain type='kvm'/>
    </arch>
    <features>
      <acpi default='on' toggle='yes'/>
      <apic default='on' toggle='no'/>
      <cpuselection/>
      <deviceboot/>
      <disksnapshot default='on' toggle='no'/>
    </features>
  </guest>

  <guest>
    <os_type>hvm</os_type>
    <arch name='x86_64'>
      <wordsize>64</wordsize>
      <emulator>/usr/lib/xen/bin/qemu-system-i386</emulator>
      <loader>/usr/lib/xen/boot/hvmloader</loader>
      <machine>xenfv</machine>
      <domain type='xen'/>
      <domain type='kvm'>
        <emulator>/usr/bin/qemu-kvm</emulator>
        <machine maxCpus='255'>pc</machine>
      </domain>
    </arch>
  </guest>

</capabilities>
"""


def test_capabilities_fields() -> None:
    caps = roundtrip(CAPABILITIES)
    assert isinstance(caps, Capabilities) and caps.host is not None and caps.host.cpu is not None
    assert caps.host.cpu.topology is not None and caps.host.cpu.topology.threads == 2
    machines = caps.guests[0].arch.machines if caps.guests[0].arch else []
    assert [(m.name, m.canonical, m.deprecated) for m in machines][1:] == [
        ("pc", "pc-i440fx-7.1", None),
        ("pc-i440fx-1.5", None, True),
    ]
