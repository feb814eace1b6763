"""The ``test`` driver: an in-memory mock hypervisor behaving like libvirt 9.0's test driver.

``test:///default`` is one host shared by every connection of the process; ``test:///path/node.xml``
loads a node description into a host private to that connection.
"""
