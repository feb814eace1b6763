"""Drivers shipped with virt-core (the ``test:///`` mock hypervisor); others come from plugins."""
