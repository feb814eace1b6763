"""The REMOTE program's procedures, one module per family; :mod:`virt.remote.messages` joins them."""
