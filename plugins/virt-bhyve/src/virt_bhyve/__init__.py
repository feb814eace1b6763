"""virt-bhyve: FreeBSD's bhyve for virt -- the bhyve-argv native format (and, being built, the driver)."""
