"""virt-qemu: the QEMU/KVM driver of virt (``qemu:///session``, ``qemu:///system``)."""

__version__ = "0.2.0"
