"""The built-in commands, run in-process against the test driver."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_helpers import Run

TEST_UUID = "6695eb01-f6a4-8304-79aa-97f2502e193f"


def test_list_all(virt: Run) -> None:
    assert virt("list", "--all") == (0, " Id   Name   State\n----------------------\n 1    test   running\n\n", "")


def test_list_quiet_has_no_header_and_no_blank_line(virt: Run) -> None:
    assert virt("-q", "list").out == " 1   test   running\n"


def test_list_names_uuids_ids(virt: Run) -> None:
    assert virt("list", "--name").out == "test\n\n"
    assert virt("list", "--uuid").out == f"{TEST_UUID}\n\n"
    assert virt("list", "--id").out == "1\n\n"
    assert virt("list", "--name", "--uuid").out == f"{TEST_UUID} test\n\n"


def test_list_filters(virt: Run, new_domain_xml: Path) -> None:
    out = virt(
        f"define {new_domain_xml}; list --inactive --name; list --state-shutoff --name; list --state-running --name"
        "; list --all --name; list --transient --name; list --all --persistent --name"
    ).out
    assert (
        out
        == f"Domain 'newvm' defined from {new_domain_xml}\n\n"
        + "newvm\n\nnewvm\n\ntest\n\ntest\nnewvm\n\n\ntest\nnewvm\n\n"
    )


def test_list_json(virt: Run) -> None:
    result = virt("list", "--all", "--json")
    assert json.loads(result.out) == [
        {"id": 1, "name": "test", "uuid": TEST_UUID, "state": "running", "reason": "unknown", "persistent": True}
    ]
    assert result.out.endswith("]\n")


def test_list_table_conflicts_with_name(virt: Run) -> None:
    result = virt("list", "--table", "--name")
    assert result.status == 1
    assert result.err == "error: Only one argument from --table, --name and --uuid may be specified.\n"


def test_dominfo(virt: Run) -> None:
    result = virt("dominfo", "test")
    assert result.status == 0
    lines = result.out.split("\n")
    assert lines[:3] == ["Id:             1", "Name:           test", f"UUID:           {TEST_UUID}"]
    assert re.fullmatch(r"CPU time:       \d+\.\ds", lines[6])
    assert lines[7:] == [
        "Max memory:     8388608 KiB",
        "Used memory:    2097152 KiB",
        "Persistent:     yes",
        "Autostart:      disable",
        "Managed save:   no",
        "Security model: testSecurity",
        "Security DOI:   ",
        "Security label: libvirt-test (enforcing)",
        "",
        "",
    ]


def test_dominfo_json(virt: Run) -> None:
    record = json.loads(virt("dominfo", "1", "--json").out)
    assert record["name"] == "test" and record["id"] == 1 and record["vcpus"] == 2
    assert record["security"]["label"] == "libvirt-test"


def test_domstate(virt: Run) -> None:
    assert virt("domstate", "test").out == "running\n\n"
    assert virt("domstate", "test", "--reason").out == "running (unknown)\n\n"
    assert json.loads(virt("domstate", "test", "--json").out) == {"state": "running", "reason": "unknown"}


def test_lookup_by_id_uuid_and_name(virt: Run) -> None:
    assert virt("domid", "test").out == "1\n\n"
    assert virt("domid", TEST_UUID).out == "1\n\n"
    assert virt("domname", "1").out == "test\n\n"
    assert virt("domuuid", "1").out == f"{TEST_UUID}\n\n"
    assert virt("domuuid", "test").out == f"{TEST_UUID}\n\n"


def test_domname_takes_no_name_and_domid_no_id(virt: Run) -> None:
    assert virt("domname", "test") == (1, "\n", "error: failed to get domain 'test'\n")
    assert virt("domid", "1").status == 1


def test_life_cycle_messages(virt: Run) -> None:
    out = virt(
        "suspend test; resume test; reboot test; reset test; shutdown test; domid test; "
        "start test; destroy test; domstate test --reason; autostart test; autostart --disable test; "
        "undefine test; list --all"
    ).out
    assert out.split("\n\n") == [
        "Domain 'test' suspended",
        "Domain 'test' resumed",
        "Domain 'test' is being rebooted",
        "Domain 'test' was reset",
        "Domain 'test' is being shutdown",
        "-",
        "Domain 'test' started",
        "Domain 'test' destroyed",
        "shut off (destroyed)",
        "Domain 'test' marked as autostarted",
        "Domain 'test' unmarked as autostarted",
        "Domain 'test' has been undefined",
        " Id   Name   State\n--------------------",
        "",
    ]


def test_quiet_hides_confirmations(virt: Run) -> None:
    assert virt("-q", "suspend test; domstate test") == (0, "paused\n", "")


def test_define_start_suspend(virt: Run, new_domain_xml: Path) -> None:
    result = virt(f"define {new_domain_xml}; start newvm; suspend newvm; domstate newvm --reason; list --all")
    assert result.out.split("\n\n") == [
        f"Domain 'newvm' defined from {new_domain_xml}",
        "Domain 'newvm' started",
        "Domain 'newvm' suspended",
        "paused (user)",
        " Id   Name    State\n-----------------------\n 1    test    running\n 2    newvm   paused",
        "",
    ]


def test_create_is_transient(virt: Run, new_domain_xml: Path) -> None:
    result = virt(f"create {new_domain_xml}; list --transient --name")
    assert result.out == f"Domain 'newvm' created from {new_domain_xml}\n\nnewvm\n\n"


def test_start_active_domain_fails(virt: Run) -> None:
    assert virt("start", "test") == (1, "\n", "error: Domain is already active\n")


def test_failed_action_reports_both_lines(virt: Run) -> None:
    result = virt("destroy test; destroy test")
    assert result.status == 1
    assert result.err.startswith("error: Failed to destroy domain 'test'\nerror: ")


def test_define_missing_file(virt: Run) -> None:
    result = virt("define", "/nonexistent.xml")
    assert result == (1, "\n", "error: Failed to open file '/nonexistent.xml': No such file or directory\n")


def test_define_bad_xml(virt: Run, tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_text("<domain><name>x</name")
    result = virt("define", str(path))
    assert result.status == 1
    assert result.err.startswith(f"error: Failed to define domain from {path}\nerror: ")


def test_readonly_refuses_changes(virt: Run) -> None:
    result = virt("-r", "suspend", "test")
    assert result.status == 1
    assert "read only access prevents virDomainSuspend" in result.err


def test_dumpxml(virt: Run) -> None:
    out = virt("dumpxml", "test").out
    assert out.startswith("<domain type='test' id='1'>\n  <name>test</name>\n")
    assert out.endswith("</domain>\n\n")
    assert virt("dumpxml", "--inactive", "--security-info", "test").status == 0


def test_host_commands(virt: Run) -> None:
    assert virt("uri").out == "test:///default\n\n"
    assert virt("hostname").out.strip()
    assert virt("nodeinfo").out.splitlines()[0] == "CPU model:           i686"
    assert json.loads(virt("nodeinfo", "--json").out)["cpus"] == 16
    assert virt("capabilities").out.startswith("<capabilities>")
    version = virt("version").out.splitlines()
    assert version[0].startswith("Compiled against library: virt ")
    assert version[3].startswith("Running hypervisor: ")


def test_networks(virt: Run) -> None:
    assert virt("net-list", "--all").out == (
        " Name      State    Autostart   Persistent\n"
        "--------------------------------------------\n"
        " default   active   no          yes\n\n"
    )
    assert virt("net-list", "--name").out == "default\n\n"
    assert json.loads(virt("net-list", "--json").out)[0]["name"] == "default"
    assert virt("net-dumpxml", "default").out.startswith("<network>")
    assert virt("net-dumpxml", "nope").err == (
        "error: failed to get network 'nope'\nerror: Network not found: no network with matching name 'nope'\n"
    )


def test_storage(virt: Run) -> None:
    assert virt("pool-list", "--all").out == (
        " Name           State    Autostart\n------------------------------------\n default-pool   active   no\n\n"
    )
    assert virt("pool-list", "--name").out == "default-pool        \n\n"
    assert virt("pool-list", "--details").out.splitlines()[2].split() == [
        "default-pool",
        "running",
        "no",
        "yes",
        "100.00",
        "GiB",
        "0.00",
        "B",
        "100.00",
        "GiB",
    ]
    assert json.loads(virt("pool-list", "--json").out)[0]["state"] == "running"
    assert virt("vol-list", "default-pool").out == " Name   Path\n--------------\n\n"
    assert json.loads(virt("vol-list", "default-pool", "--json").out) == []
    result = virt("vol-list", "nope")
    assert result.status == 1 and result.err.startswith("error: failed to get pool 'nope'\nerror: ")


def test_plugins_json(virt: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from virt import plugins

    monkeypatch.setenv("VIRT_LOAD_PLUGINS", "")  # whatever else this environment has installed
    plugins.reset()
    assert json.loads(virt("plugins").out) == []
    everything = json.loads(virt("plugins", "--all").out)
    builtin = {p["name"]: p for p in everything}
    assert builtin["virt.cli.builtin"]["hooks"] == ["register_commands"]
    assert builtin["virt.cli.builtin"]["builtin"] is True
    monkeypatch.undo()
    plugins.reset()


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_script(virt: Run, shell: str) -> None:
    result = virt("completion", shell, uri=None)
    assert result.status == 0 and "virt" in result.out
