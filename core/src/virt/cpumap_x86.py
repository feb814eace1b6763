"""libvirt 9.0's x86 CPU map (its cpu_map/x86_*.xml) as the facts the CPU baseline needs: the
features by name in the map's order, the vendors, and each CPU model in the map's order with its
vendor, whether it may name a guest CPU (``<decode guest>``), its features and those QEMU removed
from it (a CPU lacking them disables them explicitly). Every feature has CPUID or MSR bits of its
own, so sets of names stand for libvirt's CPUID data."""

from __future__ import annotations

from typing import NamedTuple


class X86Model(NamedTuple):
    name: str
    vendor: str | None
    decode_guest: bool
    features: frozenset[str]
    removed: tuple[str, ...]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _model(name: str, vendor: str | None, decode_guest: bool, features: str, removed: str = "") -> X86Model:
    return X86Model(name, vendor, decode_guest, frozenset(_words(features)), _words(removed))


FEATURES = _words(
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 pn clflush ds acpi mmx "
    "fxsr sse sse2 ss ht tm ia64 pbe pni pclmuldq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 cid fma "
    "cx16 xtpr pdcm pcid dca sse4.1 sse4.2 x2apic movbe popcnt tsc-deadline aes xsave osxsave avx "
    "f16c rdrand hypervisor arat fsgsbase tsc_adjust sgx bmi1 hle avx2 smep bmi2 erms invpcid rtm cmt "
    "mpx avx512f avx512dq rdseed adx smap avx512ifma pcommit clflushopt clwb intel-pt avx512pf "
    "avx512er avx512cd sha-ni avx512bw avx512vl avx512vbmi umip pku ospke waitpkg avx512vbmi2 gfni "
    "vaes vpclmulqdq avx512vnni avx512bitalg avx512-vpopcntdq la57 rdpid bus-lock-detect cldemote "
    "movdiri movdir64b sgxlc pks avx512-4vnniw avx512-4fmaps fsrm avx512-vp2intersect md-clear "
    "serialize tsx-ldtrk pconfig arch-lbr amx-bf16 avx512-fp16 amx-tile amx-int8 spec-ctrl stibp "
    "arch-capabilities core-capability ssbd avx-vnni avx512-bf16 xsaveopt xsavec xgetbv1 xsaves xfd "
    "mbm_total mbm_local sgx1 sgx2 sgx-exinfo sgx-debug sgx-mode64 sgx-provisionkey sgx-tokenkey "
    "sgx-kss intel-pt-lip syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm 3dnowext 3dnow lahf_lm "
    "cmp_legacy svm extapic cr8legacy abm sse4a misalignsse 3dnowprefetch osvw ibs xop skinit wdt lwp "
    "fma4 tce cvt16 nodeid_msr tbm topoext perfctr_core perfctr_nb invtsc clzero xsaveerptr wbnoinvd "
    "ibpb ibrs amd-stibp amd-ssbd virt-ssbd amd-no-ssb npt lbrv svm-lock nrip-save tsc-scale "
    "vmcb-clean flushbyasid decodeassists pause-filter pfthreshold avic v-vmsave-vmload vgif "
    "svme-addr-chk rdctl-no ibrs-all rsba skip-l1dfl-vmentry ssb-no mds-no pschange-mc-no tsx-ctrl "
    "taa-no split-lock-detect"
)
"""Every x86 feature, in the map's order (the order libvirt lists a CPU's features in)."""
NON_MIGRATABLE = frozenset(_words("xsaves invtsc"))
VENDORS = ("Intel", "AMD", "Hygon")
MODELS: tuple[X86Model, ...] = (
    _model("486", None, True, "fpu pse vme"),
    _model("pentium", None, True, "cx8 de fpu mce mmx msr pse tsc vme"),
    _model("pentium2", None, True, "cmov cx8 de fpu fxsr mca mce mmx msr mtrr pae pat pge pse pse36 sep tsc vme"),
    _model("pentium3", None, True, "cmov cx8 de fpu fxsr mca mce mmx msr mtrr pae pat pge pse pse36 sep sse tsc vme"),
    _model("pentiumpro", None, True, "apic cmov cx8 de fpu fxsr mce mmx msr pae pat pge pse sep sse sse2 tsc"),
    _model(
        "coreduo",
        "Intel",
        True,
        ("apic clflush cmov cx8 de fpu fxsr mca mce mmx monitor msr mtrr nx pae pat pge pni pse sep sse sse2 tsc vme"),
    ),
    _model(
        "n270",
        "Intel",
        True,
        (
            "apic clflush cmov cx8 de fpu fxsr mca mce mmx monitor msr mtrr nx pae pat pge pni pse sep "
            "sse sse2 ssse3 tsc vme"
        ),
    ),
    _model(
        "core2duo",
        "Intel",
        True,
        (
            "apic clflush cmov cx8 de fpu fxsr lm mca mce mmx monitor msr mtrr nx pae pat pge pni pse "
            "pse36 sep sse sse2 ssse3 syscall tsc vme"
        ),
    ),
    _model("qemu32", None, True, "apic cmov cx8 de fpu fxsr mce mmx msr pae pat pge pni pse sep sse sse2 tsc"),
    _model(
        "kvm32",
        None,
        True,
        ("apic clflush cmov cx8 de fpu fxsr mca mce mmx msr mtrr pae pat pge pni pse pse36 sep sse sse2 tsc"),
    ),
    _model(
        "cpu64-rhel5",
        None,
        False,
        (
            "apic clflush cmov cx8 de fpu fxsr lm mca mce mmx msr mtrr nx pae pat pge pni pse pse36 sep "
            "sse sse2 syscall tsc"
        ),
    ),
    _model(
        "cpu64-rhel6",
        None,
        False,
        (
            "apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pge pni "
            "pse pse36 sep sse sse2 syscall tsc"
        ),
    ),
    _model(
        "qemu64",
        None,
        True,
        (
            "apic clflush cmov cx16 cx8 de fpu fxsr lm mca mce mmx msr mtrr nx pae pat pge pni pse pse36 "
            "sep sse sse2 svm syscall tsc"
        ),
    ),
    _model(
        "kvm64",
        None,
        True,
        (
            "apic clflush cmov cx16 cx8 de fpu fxsr lm mca mce mmx msr mtrr nx pae pat pge pni pse pse36 "
            "sep sse sse2 syscall tsc"
        ),
    ),
    _model(
        "Conroe",
        "Intel",
        True,
        (
            "apic clflush cmov cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pge pni pse "
            "pse36 sep sse sse2 ssse3 syscall tsc"
        ),
    ),
    _model(
        "Penryn",
        "Intel",
        True,
        (
            "apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pge pni "
            "pse pse36 sep sse sse2 sse4.1 ssse3 syscall tsc"
        ),
    ),
    _model(
        "Nehalem",
        "Intel",
        True,
        (
            "apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pge pni "
            "popcnt pse pse36 sep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc"
        ),
    ),
    _model(
        "Nehalem-IBRS",
        "Intel",
        True,
        (
            "apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pge pni "
            "popcnt pse pse36 sep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc"
        ),
    ),
    _model(
        "Westmere",
        "Intel",
        True,
        (
            "aes apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pge "
            "pni popcnt pse pse36 sep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc"
        ),
    ),
    _model(
        "Westmere-IBRS",
        "Intel",
        True,
        (
            "aes apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pge "
            "pni popcnt pse pse36 sep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc"
        ),
    ),
    _model(
        "SandyBridge",
        "Intel",
        True,
        (
            "aes apic avx clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat "
            "pclmuldq pge pni popcnt pse pse36 rdtscp sep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc "
            "tsc-deadline x2apic xsave"
        ),
    ),
    _model(
        "SandyBridge-IBRS",
        "Intel",
        True,
        (
            "aes apic avx clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat "
            "pclmuldq pge pni popcnt pse pse36 rdtscp sep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall "
            "tsc tsc-deadline x2apic xsave"
        ),
    ),
    _model(
        "IvyBridge",
        "Intel",
        True,
        (
            "aes apic avx clflush cmov cx16 cx8 de erms f16c fpu fsgsbase fxsr lahf_lm lm mca mce mmx msr "
            "mtrr nx pae pat pclmuldq pge pni popcnt pse pse36 rdrand rdtscp sep smep sse sse2 sse4.1 "
            "sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xsave"
        ),
    ),
    _model(
        "IvyBridge-IBRS",
        "Intel",
        True,
        (
            "aes apic avx clflush cmov cx16 cx8 de erms f16c fpu fsgsbase fxsr lahf_lm lm mca mce mmx msr "
            "mtrr nx pae pat pclmuldq pge pni popcnt pse pse36 rdrand rdtscp sep smep spec-ctrl sse sse2 "
            "sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xsave"
        ),
    ),
    _model(
        "Haswell-noTSX",
        "Intel",
        True,
        (
            "aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase fxsr invpcid "
            "lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni popcnt pse pse36 "
            "rdtscp sep smep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline x2apic xsave"
        ),
    ),
    _model(
        "Haswell-noTSX-IBRS",
        "Intel",
        True,
        (
            "aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase fxsr invpcid "
            "lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni popcnt pse pse36 "
            "rdtscp sep smep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline x2apic xsave"
        ),
    ),
    _model(
        "Haswell",
        "Intel",
        True,
        (
            "aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase fxsr hle invpcid "
            "lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni popcnt pse pse36 "
            "rdtscp rtm sep smep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline x2apic xsave"
        ),
    ),
    _model(
        "Haswell-IBRS",
        "Intel",
        True,
        (
            "aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase fxsr hle invpcid "
            "lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni popcnt pse pse36 "
            "rdtscp rtm sep smep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline x2apic "
            "xsave"
        ),
    ),
    _model(
        "Broadwell-noTSX",
        "Intel",
        True,
        (
            "3dnowprefetch adx aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase "
            "fxsr invpcid lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni popcnt "
            "pse pse36 rdseed rdtscp sep smap smep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline "
            "x2apic xsave"
        ),
    ),
    _model(
        "Broadwell-noTSX-IBRS",
        "Intel",
        True,
        (
            "3dnowprefetch adx aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase "
            "fxsr invpcid lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni popcnt "
            "pse pse36 rdseed rdtscp sep smap smep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc "
            "tsc-deadline x2apic xsave"
        ),
    ),
    _model(
        "Broadwell",
        "Intel",
        True,
        (
            "3dnowprefetch adx aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase "
            "fxsr hle invpcid lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni "
            "popcnt pse pse36 rdseed rdtscp rtm sep smap smep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc "
            "tsc-deadline x2apic xsave"
        ),
    ),
    _model(
        "Broadwell-IBRS",
        "Intel",
        True,
        (
            "3dnowprefetch adx aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase "
            "fxsr hle invpcid lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni "
            "popcnt pse pse36 rdseed rdtscp rtm sep smap smep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 "
            "syscall tsc tsc-deadline x2apic xsave"
        ),
    ),
    _model(
        "Skylake-Client",
        "Intel",
        True,
        (
            "3dnowprefetch abm adx aes apic arat avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms f16c "
            "fma fpu fsgsbase fxsr hle invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid "
            "pclmuldq pge pni popcnt pse pse36 rdrand rdseed rdtscp rtm sep smap smep sse sse2 sse4.1 "
            "sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt"
        ),
    ),
    _model(
        "Skylake-Client-IBRS",
        "Intel",
        True,
        (
            "3dnowprefetch abm adx aes apic arat avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms f16c "
            "fma fpu fsgsbase fxsr hle invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid "
            "pclmuldq pge pni popcnt pse pse36 rdrand rdseed rdtscp rtm sep smap smep spec-ctrl sse sse2 "
            "sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt"
        ),
    ),
    _model(
        "Skylake-Client-noTSX-IBRS",
        "Intel",
        False,
        (
            "3dnowprefetch abm adx aes apic arat avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms f16c "
            "fma fpu fsgsbase fxsr invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid "
            "pclmuldq pge pni popcnt pse pse36 rdrand rdseed rdtscp sep smap smep spec-ctrl sse sse2 "
            "sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt"
        ),
    ),
    _model(
        "Skylake-Server",
        "Intel",
        True,
        (
            "3dnowprefetch abm adx aes apic arat avx avx2 avx512bw avx512cd avx512dq avx512f avx512vl "
            "bmi1 bmi2 clflush clwb cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr hle invpcid lahf_lm "
            "lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pdpe1gb pge pni popcnt pse pse36 "
            "rdrand rdseed rdtscp rtm sep smap smep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline "
            "vme x2apic xgetbv1 xsave xsavec xsaveopt"
        ),
    ),
    _model(
        "Skylake-Server-IBRS",
        "Intel",
        True,
        (
            "3dnowprefetch abm adx aes apic arat avx avx2 avx512bw avx512cd avx512dq avx512f avx512vl "
            "bmi1 bmi2 clflush clwb cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr hle invpcid lahf_lm "
            "lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pdpe1gb pge pni popcnt pse pse36 "
            "rdrand rdseed rdtscp rtm sep smap smep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc "
            "tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt"
        ),
    ),
    _model(
        "Skylake-Server-noTSX-IBRS",
        "Intel",
        False,
        (
            "3dnowprefetch abm adx aes apic arat avx avx2 avx512bw avx512cd avx512dq avx512f avx512vl "
            "bmi1 bmi2 clflush clwb cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr invpcid lahf_lm lm "
            "mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pdpe1gb pge pni popcnt pse pse36 "
            "rdrand rdseed rdtscp sep smap smep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc "
            "tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt"
        ),
    ),
    _model(
        "Cascadelake-Server",
        "Intel",
        True,
        (
            "3dnowprefetch abm adx aes apic arat avx avx2 avx512bw avx512cd avx512dq avx512f avx512vl "
            "avx512vnni bmi1 bmi2 clflush clflushopt clwb cmov cx16 cx8 de erms f16c fma fpu fsgsbase "
            "fxsr hle invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pdpe1gb "
            "pge pni popcnt pse pse36 rdrand rdseed rdtscp rtm sep smap smep spec-ctrl ssbd sse sse2 "
            "sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt"
        ),
    ),
    _model(
        "Cascadelake-Server-noTSX",
        "Intel",
        False,
        (
            "3dnowprefetch abm adx aes apic arat avx avx2 avx512bw avx512cd avx512dq avx512f avx512vl "
            "avx512vnni bmi1 bmi2 clflush clflushopt clwb cmov cx16 cx8 de erms f16c fma fpu fsgsbase "
            "fxsr invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pdpe1gb pge "
            "pni popcnt pse pse36 rdrand rdseed rdtscp sep smap smep spec-ctrl ssbd sse sse2 sse4.1 "
            "sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt"
        ),
    ),
    _model(
        "Icelake-Client",
        "Intel",
        True,
        (
            "3dnowprefetch abm adx aes apic arat avx avx2 avx512-vpopcntdq avx512bitalg avx512vbmi "
            "avx512vbmi2 avx512vnni bmi1 bmi2 clflush cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr "
            "gfni hle invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pge pku "
            "pni popcnt pse pse36 rdrand rdseed rdtscp rtm sep smap smep spec-ctrl ssbd sse sse2 sse4.1 "
            "sse4.2 ssse3 syscall tsc tsc-deadline umip vaes vme vpclmulqdq wbnoinvd x2apic xgetbv1 xsave "
            "xsavec xsaveopt"
        ),
        "intel-pt",
    ),
    _model(
        "Icelake-Client-noTSX",
        "Intel",
        False,
        (
            "3dnowprefetch abm adx aes apic arat avx avx2 avx512-vpopcntdq avx512bitalg avx512vbmi "
            "avx512vbmi2 avx512vnni bmi1 bmi2 clflush cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr "
            "gfni invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pge pku pni "
            "popcnt pse pse36 rdrand rdseed rdtscp sep smap smep spec-ctrl ssbd sse sse2 sse4.1 sse4.2 "
            "ssse3 syscall tsc tsc-deadline umip vaes vme vpclmulqdq wbnoinvd x2apic xgetbv1 xsave xsavec "
            "xsaveopt"
        ),
        "intel-pt",
    ),
    _model(
        "Icelake-Server",
        "Intel",
        True,
        (
            "3dnowprefetch abm adx aes apic arat avx avx2 avx512-vpopcntdq avx512bitalg avx512bw avx512cd "
            "avx512dq avx512f avx512vbmi avx512vbmi2 avx512vl avx512vnni bmi1 bmi2 clflush clflushopt "
            "clwb cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr gfni hle invpcid la57 lahf_lm lm mca "
            "mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pdpe1gb pge pku pni popcnt pse pse36 "
            "rdrand rdseed rdtscp rtm sep smap smep spec-ctrl ssbd sse sse2 sse4.1 sse4.2 ssse3 syscall "
            "tsc tsc-deadline umip vaes vme vpclmulqdq wbnoinvd x2apic xgetbv1 xsave xsavec xsaveopt"
        ),
        "intel-pt",
    ),
    _model(
        "Icelake-Server-noTSX",
        "Intel",
        False,
        (
            "3dnowprefetch abm adx aes apic arat avx avx2 avx512-vpopcntdq avx512bitalg avx512bw avx512cd "
            "avx512dq avx512f avx512vbmi avx512vbmi2 avx512vl avx512vnni bmi1 bmi2 clflush clflushopt "
            "clwb cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr gfni invpcid la57 lahf_lm lm mca mce "
            "mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pdpe1gb pge pku pni popcnt pse pse36 rdrand "
            "rdseed rdtscp sep smap smep spec-ctrl ssbd sse sse2 sse4.1 sse4.2 ssse3 syscall tsc "
            "tsc-deadline umip vaes vme vpclmulqdq wbnoinvd x2apic xgetbv1 xsave xsavec xsaveopt"
        ),
        "intel-pt",
    ),
    _model(
        "Cooperlake",
        "Intel",
        True,
        (
            "3dnowprefetch abm adx aes apic arat arch-capabilities avx avx2 avx512-bf16 avx512bw avx512cd "
            "avx512dq avx512f avx512vl avx512vnni bmi1 bmi2 clflush clflushopt clwb cmov cx16 cx8 de erms "
            "f16c fma fpu fsgsbase fxsr hle ibrs-all invpcid lahf_lm lm mca mce mds-no mmx movbe msr mtrr "
            "nx pae pat pcid pclmuldq pdpe1gb pge pku pni popcnt pschange-mc-no pse pse36 rdctl-no rdrand "
            "rdseed rdtscp rtm sep skip-l1dfl-vmentry smap smep spec-ctrl ssbd sse sse2 sse4.1 sse4.2 "
            "ssse3 stibp syscall taa-no tsc tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt"
        ),
    ),
    _model(
        "Snowridge",
        "Intel",
        True,
        (
            "3dnowprefetch aes apic arat arch-capabilities cldemote clflush clflushopt clwb cmov "
            "core-capability cx16 cx8 de erms fpu fsgsbase fxsr gfni lahf_lm lm mca mce mmx movbe "
            "movdir64b movdiri msr mtrr nx pae pat pclmuldq pdpe1gb pge pni popcnt pse pse36 rdrand "
            "rdseed rdtscp sep sha-ni smap smep spec-ctrl split-lock-detect ssbd sse sse2 sse4.1 sse4.2 "
            "ssse3 syscall tsc tsc-deadline umip vme x2apic xgetbv1 xsave xsavec xsaveopt"
        ),
    ),
    _model(
        "athlon",
        "AMD",
        True,
        ("3dnow 3dnowext apic cmov cx8 de fpu fxsr mce mmx mmxext msr mtrr pae pat pge pse pse36 sep sse sse2 tsc vme"),
    ),
    _model(
        "phenom",
        "AMD",
        True,
        (
            "3dnow 3dnowext apic clflush cmov cx8 de fpu fxsr fxsr_opt lm mca mce mmx mmxext monitor msr "
            "mtrr nx pae pat pge pni pse pse36 sep sse sse2 svm syscall tsc"
        ),
    ),
    _model(
        "Opteron_G1",
        "AMD",
        True,
        (
            "apic clflush cmov cx8 de fpu fxsr lm mca mce mmx msr mtrr nx pae pat pge pni pse pse36 sep "
            "sse sse2 syscall tsc"
        ),
    ),
    _model(
        "Opteron_G2",
        "AMD",
        True,
        (
            "apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pge pni "
            "pse pse36 rdtscp sep sse sse2 svm syscall tsc"
        ),
    ),
    _model(
        "Opteron_G3",
        "AMD",
        True,
        (
            "abm apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce misalignsse mmx msr mtrr nx "
            "pae pat pge pni popcnt pse pse36 rdtscp sep sse sse2 sse4a svm syscall tsc"
        ),
        "monitor",
    ),
    _model(
        "Opteron_G4",
        "AMD",
        True,
        (
            "3dnowprefetch abm aes apic avx clflush cmov cx16 cx8 de fma4 fpu fxsr lahf_lm lm mca mce "
            "misalignsse mmx msr mtrr nx pae pat pclmuldq pdpe1gb pge pni popcnt pse pse36 rdtscp sep sse "
            "sse2 sse4.1 sse4.2 sse4a ssse3 svm syscall tsc xop xsave"
        ),
    ),
    _model(
        "Opteron_G5",
        "AMD",
        True,
        (
            "3dnowprefetch abm aes apic avx clflush cmov cx16 cx8 de f16c fma fma4 fpu fxsr lahf_lm lm "
            "mca mce misalignsse mmx msr mtrr nx pae pat pclmuldq pdpe1gb pge pni popcnt pse pse36 rdtscp "
            "sep sse sse2 sse4.1 sse4.2 sse4a ssse3 svm syscall tbm tsc xop xsave"
        ),
    ),
    _model(
        "EPYC",
        "AMD",
        True,
        (
            "3dnowprefetch abm adx aes apic arat avx avx2 bmi1 bmi2 clflush clflushopt cmov cr8legacy "
            "cx16 cx8 de f16c fma fpu fsgsbase fxsr fxsr_opt lahf_lm lm mca mce misalignsse mmx mmxext "
            "movbe msr mtrr nx osvw pae pat pclmuldq pdpe1gb pge pni popcnt pse pse36 rdrand rdseed "
            "rdtscp sep sha-ni smap smep sse sse2 sse4.1 sse4.2 sse4a ssse3 svm syscall tsc vme xgetbv1 "
            "xsave xsavec xsaveopt"
        ),
        "monitor",
    ),
    _model(
        "EPYC-IBPB",
        "AMD",
        True,
        (
            "3dnowprefetch abm adx aes apic arat avx avx2 bmi1 bmi2 clflush clflushopt cmov cr8legacy "
            "cx16 cx8 de f16c fma fpu fsgsbase fxsr fxsr_opt ibpb lahf_lm lm mca mce misalignsse mmx "
            "mmxext movbe msr mtrr nx osvw pae pat pclmuldq pdpe1gb pge pni popcnt pse pse36 rdrand "
            "rdseed rdtscp sep sha-ni smap smep sse sse2 sse4.1 sse4.2 sse4a ssse3 svm syscall tsc vme "
            "xgetbv1 xsave xsavec xsaveopt"
        ),
        "monitor",
    ),
    _model(
        "EPYC-Rome",
        "AMD",
        True,
        (
            "3dnowprefetch abm adx aes amd-stibp apic arat avx avx2 bmi1 bmi2 clflush clflushopt clwb "
            "clzero cmov cr8legacy cx16 cx8 de f16c fma fpu fsgsbase fxsr fxsr_opt ibpb lahf_lm lm mca "
            "mce misalignsse mmx mmxext movbe msr mtrr npt nrip-save nx osvw pae pat pclmuldq pdpe1gb "
            "perfctr_core pge pni popcnt pse pse36 rdpid rdrand rdseed rdtscp sep sha-ni smap smep sse "
            "sse2 sse4.1 sse4.2 sse4a ssse3 svm syscall tsc umip vme wbnoinvd xgetbv1 xsave xsavec "
            "xsaveerptr xsaveopt"
        ),
    ),
    _model(
        "EPYC-Milan",
        "AMD",
        True,
        (
            "3dnowprefetch abm adx aes amd-ssbd amd-stibp apic arat avx avx2 bmi1 bmi2 clflush clflushopt "
            "clwb clzero cmov cr8legacy cx16 cx8 de erms f16c fma fpu fsgsbase fsrm fxsr fxsr_opt ibpb "
            "ibrs invpcid lahf_lm lm mca mce misalignsse mmx mmxext movbe msr mtrr npt nrip-save nx osvw "
            "pae pat pcid pclmuldq pdpe1gb perfctr_core pge pku pni popcnt pse pse36 rdpid rdrand rdseed "
            "rdtscp sep sha-ni smap smep sse sse2 sse4.1 sse4.2 sse4a ssse3 svm svme-addr-chk syscall tsc "
            "umip vme wbnoinvd xgetbv1 xsave xsavec xsaveerptr xsaveopt xsaves"
        ),
    ),
    _model(
        "Dhyana",
        "Hygon",
        True,
        (
            "3dnowprefetch abm adx apic arat avx avx2 bmi1 bmi2 clflush clflushopt cmov cr8legacy cx16 "
            "cx8 de f16c fma fpu fsgsbase fxsr fxsr_opt ibpb lahf_lm lm mca mce misalignsse mmx mmxext "
            "movbe msr mtrr nx osvw pae pat pdpe1gb pge pni popcnt pse pse36 rdrand rdseed rdtscp sep "
            "smap smep sse sse2 sse4.1 sse4.2 sse4a ssse3 svm syscall tsc vme xgetbv1 xsave xsavec "
            "xsaveopt"
        ),
        "monitor",
    ),
)
"""Every x86 CPU model, in the map's order."""
