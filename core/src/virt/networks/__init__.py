"""The host network service: libvirt's virtual networks on this host, shared by the local drivers.

One module per purpose, each cheap to import:

- ``paths``: where the service keeps definitions, autostart marks, live state and dnsmasq's files;
- ``store``: persistent definitions and autostart marks (atomic files, libvirt's layout);
- ``errors``: libvirt's network errors, worded as libvirt 9.0 words them;
- ``addresses``: subnets of a definition, DHCP ranges and hosts checked against them;
- ``prepare``: what libvirt adds to a definition (UUID, MAC, bridge name) and refuses in it;
- ``hostnet``: the host's links and routes (iproute2): bridges made and removed, collisions found;
- ``firewall``: one nftables table per network (masquerade, forward filter), removed whole;
- ``dnsmasq``: one real dnsmasq per network (DHCP, DNS): its configuration, start, reload, stop;
- ``leases``: dnsmasq's lease file read as libvirt's DHCP leases;
- ``update``: ``virNetworkUpdate``'s sections (DHCP hosts and ranges, DNS hosts, TXT and SRV);
- ``defaults``: the ``default`` network as libvirt ships it, on the first free subnet;
- ``lifecycle``: starting, stopping and adopting one network's host pieces;
- ``service``: ``NetworkService``, the table of networks and every operation on it.

The connection glue (``virt.localstate.networks``) gives a local driver's connection the
network calls of the driver interface by delegating to the process's one service instance.
"""
