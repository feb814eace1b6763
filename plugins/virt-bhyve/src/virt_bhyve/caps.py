"""What the installed bhyve and grub-bhyve can do: libvirt's bhyve output depends on it.

libvirt probes these flags once (bhyve_capabilities.c: ``bhyve -h`` text, the error bhyve gives
for a probe device, ``grub-bhyve --help``); the command-line writer only reads them. The driver
fills a :class:`BhyveCaps` from its probe; a conversion without a host uses :data:`FULL`, the
set libvirt's own bhyvexml2argvtest assumes (a current FreeBSD).
"""

from __future__ import annotations

import attrs


@attrs.frozen
class BhyveCaps:
    """One flag per BHYVE_CAP_* / BHYVE_GRUB_CAP_* libvirt knows (True = supported)."""

    rtc_utc: bool = True  # -u: the RTC keeps UTC
    ahci32slot: bool = True  # one "ahci" device with up to 32 ports (",hd:PATH,cd:PATH")
    net_e1000: bool = True  # the e1000 NIC model
    lpc_bootrom: bool = True  # -l bootrom,FILE: UEFI boot
    fbuf: bool = True  # the fbuf framebuffer (VNC)
    xhci: bool = True  # the xhci USB controller (tablet)
    cputopology: bool = True  # -c cpus=N,sockets=S,cores=C,threads=T
    sound_hda: bool = True  # the hda sound device
    vnc_password: bool = True  # fbuf's password= option
    virtio_9p: bool = True  # virtio-9p shared folders
    grub_consdev: bool = True  # grub-bhyve --cons-dev

    def without(self, *names: str) -> BhyveCaps:
        """These caps with the flags ``names`` off (a ValueError names an unknown flag)."""
        fields = {f.name for f in attrs.fields(BhyveCaps)}
        unknown = [n for n in names if n not in fields]
        if unknown:
            raise ValueError(f"unknown bhyve capability: {', '.join(unknown)}")
        return attrs.evolve(self, **dict.fromkeys(names, False))


FULL = BhyveCaps()
NONE = FULL.without(*(f.name for f in attrs.fields(BhyveCaps)))
