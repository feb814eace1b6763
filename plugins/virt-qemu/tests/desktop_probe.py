"""Run with Debian's /usr/bin/python3 (python3-pyatspi, python3-gi) inside a test desktop
(``DISPLAY`` and ``DBUS_SESSION_BUS_ADDRESS`` set): ``tree APP`` prints, as JSON, what the
accessibility tree (AT-SPI) of the application named APP shows; ``screenshot FILE`` writes the
whole screen to FILE as PNG; ``colored FILE X Y W H`` prints how many pixels of that box of the
PNG are coloured.

The tree: ``windows`` (each top-level window's role, name and extents, and the text of its labels,
table cells and terminals, in order) and ``headers`` (table column headers with their extents),
which is what a person looking at the screen reads; ``found`` is False when no application of
that name is on the accessibility bus (yet).

Used by ``desktop_support.py``: virt-manager's own UI tests read its windows the same way.
"""

import json
import sys

TEXT_ROLES = ("label", "table cell", "terminal", "text", "alert", "heading")


def _extents(node):
    import pyatspi  # type: ignore[import-not-found]

    try:
        box = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    except NotImplementedError:
        return None
    return [box.x, box.y, box.width, box.height]


def _text(node, role):
    if role == "terminal":
        try:
            text = node.queryText()
            return text.getText(0, text.characterCount)
        except NotImplementedError:
            return ""
    return node.name or ""


def _walk(node, texts, headers, depth=0):
    import pyatspi
    from gi.repository import GLib  # type: ignore[import-not-found]

    if node is None or depth > 40:
        return
    try:
        role = node.getRoleName()
        states = node.getState()
    except (GLib.Error, RuntimeError):  # a node going away while walked (a window closing)
        return

    if not states.contains(pyatspi.STATE_SHOWING) and role not in ("table cell",):
        return
    if role in TEXT_ROLES:
        value = _text(node, role)
        if value:
            texts.append({"role": role, "text": value, "extents": _extents(node)})
    if role == "table column header":
        headers.append({"name": node.name, "extents": _extents(node)})
    for child in node:
        _walk(child, texts, headers, depth + 1)


def tree(app_name):
    import pyatspi

    desktop = pyatspi.Registry.getDesktop(0)
    result = {"found": False, "windows": [], "headers": []}
    for app in desktop:
        if app is None or app.name != app_name:
            continue
        result["found"] = True
        for window in app:
            if window is None:
                continue
            texts = []
            _walk(window, texts, result["headers"])
            result["windows"].append(
                {
                    "role": window.getRoleName(),
                    "name": window.name,
                    "showing": window.getState().contains(pyatspi.STATE_SHOWING),
                    "extents": _extents(window),
                    "texts": texts,
                }
            )
    json.dump(result, sys.stdout)


def screenshot(path):
    import gi  # type: ignore[import-not-found]

    gi.require_version("Gdk", "3.0")
    from gi.repository import Gdk  # type: ignore[import-not-found]

    root = Gdk.get_default_root_window()
    pixbuf = Gdk.pixbuf_get_from_window(root, 0, 0, root.get_width(), root.get_height())
    pixbuf.savev(path, "png", [], [])


def colored(path, x, y, width, height):
    """How many pixels of the box are coloured: a graph's line and fill, not the white
    background or the grey frame around it (a channel differs from another by more than 40)."""
    import gi

    gi.require_version("GdkPixbuf", "2.0")
    from gi.repository import GdkPixbuf  # type: ignore[import-not-found]

    image = GdkPixbuf.Pixbuf.new_from_file(path)
    pixels = image.get_pixels()
    stride, channels = image.get_rowstride(), image.get_n_channels()
    count = 0
    for row in range(max(0, y), min(image.get_height(), y + height)):
        for column in range(max(0, x), min(image.get_width(), x + width)):
            at = row * stride + column * channels
            r, g, b = pixels[at], pixels[at + 1], pixels[at + 2]
            if max(r, g, b) - min(r, g, b) > 40:
                count += 1
    print(count)


def main():
    command = sys.argv[1]
    if command == "tree":
        tree(sys.argv[2])
    elif command == "screenshot":
        screenshot(sys.argv[2])
    elif command == "colored":
        colored(sys.argv[2], *map(int, sys.argv[3:7]))
    else:
        raise SystemExit(f"unknown command {command!r}: tree APP, screenshot FILE or colored FILE X Y W H")


if __name__ == "__main__":
    main()
