"""virtd: the daemon that serves virt's drivers to libvirt's clients over libvirt's remote protocol."""
