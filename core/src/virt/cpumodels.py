"""libvirt 9.0's architectures and the CPU models its CPU drivers know (the data of its cpu_map,
in its order): what virConnectGetCPUModelNames answers from, whichever hypervisor driver asks.

An architecture libvirt has no name for is an invalid argument; one without a CPU driver is not
supported; the ARM and s390 drivers list no models (any is accepted).
"""

from __future__ import annotations

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError

ARCHITECTURES = (
    "alpha",
    "armv6l",
    "armv7l",
    "armv7b",
    "aarch64",
    "cris",
    "i686",
    "ia64",
    "lm32",
    "m68k",
    "microblaze",
    "microblazeel",
    "mips",
    "mipsel",
    "mips64",
    "mips64el",
    "openrisc",
    "parisc",
    "parisc64",
    "ppc",
    "ppcle",
    "ppc64",
    "ppc64le",
    "ppcemb",
    "riscv32",
    "riscv64",
    "s390",
    "s390x",
    "sh4",
    "sh4eb",
    "sparc",
    "sparc64",
    "unicore32",
    "x86_64",
    "xtensa",
    "xtensaeb",
)
"""virArch's names ("none" aside: libvirt finds no architecture by it)."""

X86_MODELS = (
    "486",
    "pentium",
    "pentium2",
    "pentium3",
    "pentiumpro",
    "coreduo",
    "n270",
    "core2duo",
    "qemu32",
    "kvm32",
    "cpu64-rhel5",
    "cpu64-rhel6",
    "qemu64",
    "kvm64",
    "Conroe",
    "Penryn",
    "Nehalem",
    "Nehalem-IBRS",
    "Westmere",
    "Westmere-IBRS",
    "SandyBridge",
    "SandyBridge-IBRS",
    "IvyBridge",
    "IvyBridge-IBRS",
    "Haswell-noTSX",
    "Haswell-noTSX-IBRS",
    "Haswell",
    "Haswell-IBRS",
    "Broadwell-noTSX",
    "Broadwell-noTSX-IBRS",
    "Broadwell",
    "Broadwell-IBRS",
    "Skylake-Client",
    "Skylake-Client-IBRS",
    "Skylake-Client-noTSX-IBRS",
    "Skylake-Server",
    "Skylake-Server-IBRS",
    "Skylake-Server-noTSX-IBRS",
    "Cascadelake-Server",
    "Cascadelake-Server-noTSX",
    "Icelake-Client",
    "Icelake-Client-noTSX",
    "Icelake-Server",
    "Icelake-Server-noTSX",
    "Cooperlake",
    "Snowridge",
    "athlon",
    "phenom",
    "Opteron_G1",
    "Opteron_G2",
    "Opteron_G3",
    "Opteron_G4",
    "Opteron_G5",
    "EPYC",
    "EPYC-IBPB",
    "EPYC-Rome",
    "EPYC-Milan",
    "Dhyana",
)

PPC64_MODELS = (
    "POWER6",
    "POWER7",
    "POWER8",
    "POWER9",
    "POWER10",
    "POWERPC_e5500",
    "POWERPC_e6500",
)

_MODELS: dict[str, tuple[str, ...]] = {
    "i686": X86_MODELS,
    "x86_64": X86_MODELS,
    "ppc64": PPC64_MODELS,
    "ppc64le": PPC64_MODELS,
    **dict.fromkeys(("armv6l", "armv7l", "armv7b", "aarch64", "s390", "s390x"), ()),
}


def models(arch: str, error_domain: ErrorDomain) -> list[str]:
    """The CPU models of ``arch``; refused as libvirt refuses it (the name's error from ``error_domain``,
    the driver that parsed it)."""
    if arch not in ARCHITECTURES:
        raise InvalidArgument(
            f"invalid argument: cannot find architecture {arch}", ErrorNumber.INVALID_ARG, error_domain
        )
    found = _MODELS.get(arch)
    if found is None:
        # a VirtError, not NotSupported: the words are the CPU driver's, not those of a missing operation
        raise VirtError(
            "this function is not supported by the connection driver: "
            f"'{arch}' architecture is not supported by CPU driver",
            ErrorNumber.NO_SUPPORT,
            ErrorDomain.CPU,
        )
    return list(found)
