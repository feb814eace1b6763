"""virt-lxc: the ``lxc:///`` driver of virt (Linux containers from domain XML)."""
