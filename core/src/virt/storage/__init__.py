"""Storage pools and volumes on this host: a service of the host, not of one hypervisor.

``qemu:///system`` and ``lxc:///`` reach the system's pools, ``qemu:///session`` the user's, as
libvirt's storage driver serves them. One module per purpose:

- ``layout``: where pool definitions, autostart marks and active pools live (``VIRT_STORAGE_ROOT``);
- ``backend``: what a pool type's backend does (``PoolBackend``), the base every backend extends;
- ``images``: what a file holds (format, virtual size, backing file), read from its header;
- ``qemuimg``: image work through ``qemu-img`` (create, convert, resize);
- ``filepool``: volumes as files under a directory (the ``dir`` and ``fs`` backends share it);
- ``dirpool``, ``fspool``, ``logicalpool`` (LVM volume groups, through lvm2's tools): the built-in backends;
- ``service``: ``StorageService``, the pools of one host mode: definitions, state, volumes;
- ``plugin``: registers the built-in backends through ``register_storage_backends``.

Drivers reach it through ``virt.localstate.storage.LocalStorageOperations``.
"""
