"""The wipe algorithms other than zeros (virStorageVolWipeAlgorithm), done as libvirt does them: by
``scrub -f -p PATTERN FILE`` (Debian's scrub), which writes the pattern's passes and its signature."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from virt.errors import ErrorDomain, ErrorNumber, libvirt_error

SCRUB = "scrub"
ZERO, TRIM = 0, 9
"""VIR_STORAGE_VOL_WIPE_ALG_ZERO (virt writes the zeros itself) and _TRIM (not for files)."""
PATTERNS = {
    1: "nnsa", 2: "dod", 3: "bsi", 4: "gutmann", 5: "schneier", 6: "pfitzner7", 7: "pfitzner33", 8: "random",
}  # fmt: skip
"""The other algorithms by number, as scrub names its patterns."""
LAST = 10
"""VIR_STORAGE_VOL_WIPE_ALG_LAST: numbers from here on are no algorithm."""


def check_algorithm(algorithm: int) -> None:
    """libvirt's storage driver's refusal of a number that is no algorithm, before anything else."""
    if not 0 <= algorithm < LAST:
        raise libvirt_error(ErrorNumber.INVALID_ARG, f"wiping algorithm {algorithm} not supported", ErrorDomain.STORAGE)


def refuse_trim() -> None:
    """A file (a dir or fs pool's volume) cannot be trimmed: libvirt's local backends' refusal."""
    raise libvirt_error(ErrorNumber.ARGUMENT_UNSUPPORTED, "'trim' algorithm not supported", ErrorDomain.STORAGE)


def scrub(path: Path, algorithm: int) -> None:
    """Overwrite ``path`` with the passes of ``algorithm`` (one of PATTERNS) through scrub."""
    binary = shutil.which(SCRUB)
    if binary is None:
        raise libvirt_error(
            ErrorNumber.SYSTEM_ERROR, f"Cannot find '{SCRUB}' in path: No such file or directory", ErrorDomain.STORAGE
        )
    command = [binary, "-f", "-p", PATTERNS[algorithm], str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip()
        raise libvirt_error(
            ErrorNumber.INTERNAL_ERROR,
            f"Child process ({' '.join(command)}) unexpected exit status {done.returncode}: {said}",
            ErrorDomain.STORAGE,
        )
