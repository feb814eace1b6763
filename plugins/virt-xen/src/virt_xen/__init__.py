"""virt-xen: Xen through libxl's ``xl`` toolstack, and the xen-xl / xen-xm native formats."""
