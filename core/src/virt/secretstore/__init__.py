"""Secrets on this host (virSecret*): a service of the host, not of one hypervisor.

``qemu:///system`` and ``lxc:///`` reach the system's secrets, ``qemu:///session`` the user's, as
libvirt's secret driver serves them. One module per purpose:

- ``layout``: where definitions, values and the master key live (``VIRT_SECRETS_ROOT``);
- ``masterkey``: the service's AES-256-GCM key and the sealing of values with it;
- ``service``: ``SecretService``, the secrets of one host mode: definitions, values, events.

Drivers reach it through ``virt.localstate.secrets.LocalSecretOperations``.
"""
