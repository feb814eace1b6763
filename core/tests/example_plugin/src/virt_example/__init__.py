"""virt-example: a third-party driver serving ``example:///`` with one fixed, always-running domain."""
