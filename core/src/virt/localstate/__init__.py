"""A toolkit for drivers that manage local state: the hypervisor runs on this host, and the driver
keeps its definitions and the status of its running domains in folders of its own (QEMU, LXC).

One module per purpose, each cheap to import (nothing happens at import, heavy imports wait):

- ``files``: atomic, durable file replacement and removal;
- ``layout``: the state, run, cache and log folders per mode (system, session, ``VIRT_*_ROOT``),
  and the folders every such driver has under them;
- ``definitions``: persistent definitions (``domains/NAME.xml``) and autostart marks;
- ``ids``: the domain id counter kept in the run folder;
- ``ownerlock``: the lock that keeps a second process from owning the same folders;
- ``domains``: the domain objects (two definitions, state, id, lock) and the table of them: lookups,
  listing filters, libvirt's rules for adding a definition; ``DomainLifecycle``, define, undefine,
  create, start and autostart over the driver's hooks; ``HubStateChanges``, state changes with their
  lifecycle events through a ``DomainEventHub``; ``fill_in``, a new definition's UUID and MACs;
- ``instances``: one driver instance per process and folders, shared by its connections;
- ``connection``: ``LocalConnection``, the DriverConnection whose domain operations delegate to
  the driver instance (lookups, definitions, lifecycle, properties, events, host name and info);
- ``storage``: ``LocalStorageOperations``, the storage pool and volume calls of ``LocalConnection``,
  served by the host's ``virt.storage`` service (shared by every local driver of a mode);
- ``networks``: ``LocalNetworkOperations``, the virtual network calls of a local driver's connection
  (a mixin before ``LocalConnection``), served by the host's ``virt.networks`` service, acquired on
  the first network call; the bridge of a guest's network interface, and its DHCP leases;
- ``status``: the status files of running domains (``run/status/NAME.xml``, ``<domstatus>``);
- ``hostinfo``: the host's name and libvirt's node info read from /proc and /sys;
- ``errors``: ``DriverErrors``, libvirt's common errors in a driver's error domain;
- ``consoles``: console sessions (one per console, forced take-over) bridged to the caller's socket.

The plugin keeps its own file formats (the status model), its messages and error domain, and what
its hypervisor alone needs; these modules keep the folder layout and file formats libvirt's local
drivers use, so that state written by one version of a driver is read by the next.
"""
