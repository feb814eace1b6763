"""xl's ``cpuid`` setting (libxl form: ``host,NAME=POLICY,...``) and domain XML's CPU features."""

from __future__ import annotations

# libvirt's names of the CPU features libxl names differently
LIBXL_NAMES = {
    "cx16": "cmpxchg16", "cid": "cntxid", "ds_cpl": "dscpl", "pclmuldq": "pclmulqdq", "pni": "sse3",
    "ht": "htt", "pn": "psn", "clflush": "clfsh", "sep": "sysenter", "cx8": "cmpxchg8",
    "nodeid_msr": "nodeid", "cr8legacy": "altmovcr8", "lahf_lm": "lahfsahf", "cmp_legacy": "cmplegacy",
    "fxsr_opt": "ffxsr", "pdpe1gb": "page1gb", "spec-ctrl": "ibrsb",
}  # fmt: skip
LIBVIRT_NAMES = {libxl: libvirt for libvirt, libxl in LIBXL_NAMES.items()}
# a feature's policy -> its cpuid value, and back (k and s, keep and the host's, read as optional)
VALUES = {"force": "1", "require": "1", "optional": "x", "disable": "0", "forbid": "0"}
POLICIES = {"1": "force", "0": "disable", "x": "optional", "k": "optional", "s": "optional"}
