"""The test driver is registered through the plugin hooks and answers the default probe."""

from __future__ import annotations

import subprocess
import sys

import virt.plugins
import virt.uri
from virt.driver import supported_operations
from virt.drivers.test import plugin
from virt.drivers.test.connection import TestConnection


def test_registered_as_builtin_plugin() -> None:
    spec = virt.plugins.get_plugins().drivers.get("test")
    assert spec is not None
    assert spec.schemes == ("test",)
    assert spec.plugin == "virt.drivers.test.plugin"
    assert spec.connection_class() is TestConnection
    assert spec.probe is not None and spec.probe() == "test:///default"
    assert virt.plugins.get_plugins().drivers.for_uri(virt.uri.parse("test:///default")) is spec


def test_plugin_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, virt.drivers.test.plugin\n"
        "heavy = [m for m in ('lxml', 'virt.xml', 'virt.drivers.test.connection') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert plugin.DEFAULT_URI == "test:///default"


def test_implements_every_operation_of_the_interface() -> None:
    from virt.driver import DriverConnection

    everything = supported_operations(type("All", (DriverConnection,), {}))
    assert everything == []  # the bare interface implements nothing
    implemented = set(supported_operations(TestConnection))
    optional = {name for name, value in vars(DriverConnection).items() if getattr(value, "__virt_optional__", False)}
    # libvirt 9.0's test driver has no domain capabilities nor consoles either (virsh: "not supported by the
    # connection driver"), nor virDomainBlockStatsFlags or jobs; an in-process connection never breaks, so
    # there is nothing to reconnect; it neither wipes, resizes, uploads nor downloads volumes, and has
    # no DHCP leases
    not_in_libvirts = {
        "baseline_hypervisor_cpu",  # virConnectBaselineHypervisorCPU
        "get_domain_block_stats_flags",
        "get_domain_job_info",
        "wipe_storage_volume",
        "resize_storage_volume",
        "open_storage_volume_upload",
        "open_storage_volume_download",
        "get_network_dhcp_leases",
        # virNodeDeviceIsActive, IsPersistent and GetAutostart (virsh nodedev-info reads "yes" then)
        "is_node_device_active",
        "is_node_device_persistent",
        "get_node_device_autostart",
        # virNodeGetMemoryStats: the host's memory, which libvirt's test driver makes up no figures for
        "get_node_memory_stats",
        # libvirt's test driver has no secret driver at all: "this function is not supported by the
        # connection driver: virConnectListAllSecrets" (secrets are served by the local drivers)
        "list_secrets",
        "lookup_secret_by_uuid",
        "lookup_secret_by_usage",
        "define_secret",
        "get_secret_xml",
        "set_secret_value",
        "get_secret_value",
        "undefine_secret",
        "subscribe_secret_events",
        # network ports: libvirt 9.0's test driver has none ("this function is not supported by the
        # connection driver: virNetworkListAllPorts"); the host network service serves them
        "list_network_ports",
        "lookup_network_port",
        "create_network_port",
        "get_network_port_xml",
        "delete_network_port",
        "get_network_port_parameters",
        "set_network_port_parameters",
        # device hotplug: libvirt 9.0's test driver neither attaches, detaches nor updates devices
        "attach_device",
        "detach_device",
        "detach_device_alias",
        "update_device",
        # no guest agent to ask, no block device to read, no KSM to tune
        "get_domain_guest_vcpus",
        "set_domain_guest_vcpus",
        "get_domain_authorized_ssh_keys",
        "set_domain_authorized_ssh_keys",
        "set_domain_agent_response_timeout",
        "peek_domain_block",
        "get_node_memory_parameters",
        "set_node_memory_parameters",
        # none in its driver tables either (tests/daemon/data/libvirt_test_driver_calls.txt): jobs,
        # block jobs, migration, native formats, CPU comparison, power management, security labels,
        # SCSI hosts by WWN; network filters are a driver of their own (nwfilter:///system)
        "abort_domain_job",
        "abort_domain_block_job",
        "commit_domain_block",
        "copy_domain_block",
        "get_domain_block_job_info",
        "pull_domain_block",
        "rebase_domain_block",
        "resize_domain_block",
        "set_domain_block_job_speed",
        "migrate_begin",
        "migrate_prepare",
        "migrate_perform",
        "migrate_finish",
        "migrate_confirm",
        "migrate_get_compression_cache",
        "migrate_set_compression_cache",
        "migrate_get_max_downtime",
        "migrate_set_max_downtime",
        "migrate_get_max_speed",
        "migrate_set_max_speed",
        "migrate_start_post_copy",
        "domain_xml_from_native",
        "domain_xml_to_native",
        "compare_cpu",
        "domain_pm_suspend_for_duration",
        "domain_pm_wakeup",
        "node_suspend_for_duration",
        "get_domain_security_labels",
        "lookup_scsi_host_by_wwn",
        "define_nwfilter",
        "undefine_nwfilter",
        "get_nwfilter_xml",
        "list_nwfilters",
        "lookup_nwfilter_by_name",
        "lookup_nwfilter_by_uuid",
        "create_nwfilter_binding",
        "delete_nwfilter_binding",
        "get_nwfilter_binding_xml",
        "list_nwfilter_bindings",
        "lookup_nwfilter_binding",
    }
    assert implemented == optional - {"get_domain_capabilities", "open_console", "reconnect"} - not_in_libvirts
