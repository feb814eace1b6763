"""libvirt's remote protocol: XDR codecs, framing, message definitions and the remote client driver."""
