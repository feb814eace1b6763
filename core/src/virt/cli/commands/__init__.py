"""The built-in commands, one module per command family; ``virt.cli.builtin`` registers them."""
