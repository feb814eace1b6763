"""Network filters on this host (virNWFilter*, virNWFilterBinding*): a service of the host, not
of one hypervisor, as libvirt's nwfilter driver is.

- ``store``: ``NWFilterService``, the defined filters (files, one a filter) and the bindings of
  filters to guest port devices; libvirt's checks and error words.
- ``connection``: the ``nwfilter:///system`` driver, which serves nothing but filters (libvirt's
  ``virtnwfilterd`` URI); ``qemu:///system`` and ``lxc:///`` reach the same service through
  ``virt.localstate.nwfilters.LocalNWFilterOperations``.
- ``plugin``: registers that driver through the ``register_drivers`` hook.

Filters are kept and checked, not enforced: no ebtables/iptables/nftables rules are made for a
binding (see the core README's section on network filters).
"""
