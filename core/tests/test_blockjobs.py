"""virt.blockjobs: the checks libvirt's public API makes before a driver sees a block job call, and
virsh's progress line (virt.cli.commands.blockjobs)."""

from __future__ import annotations

import pytest
import virt
from virt.blockjobs import BlockJobInfo, BlockRebaseFlags, check_copy_params, check_rebase, copy_params
from virt.cli.commands.blockjobs import progress_text
from virt.domainstats import ParamType, TypedParameter
from virt.errors import ErrorNumber


def test_rebase_flags_need_a_copy_and_a_copy_needs_its_destination() -> None:
    check_rebase(None, 0)
    check_rebase("/x", int(BlockRebaseFlags.COPY | BlockRebaseFlags.SHALLOW))
    with pytest.raises(virt.VirtError, match=r"^invalid argument: base in virDomainBlockRebase must not be NULL$"):
        check_rebase(None, int(BlockRebaseFlags.COPY))
    for flag in (BlockRebaseFlags.SHALLOW, BlockRebaseFlags.REUSE_EXT, BlockRebaseFlags.COPY_RAW):
        with pytest.raises(virt.VirtError, match="use of flags requires a copy job") as caught:
            check_rebase("/x", int(flag))
        assert caught.value.code == ErrorNumber.INVALID_ARG


def test_copy_parameters_known_typed_and_once() -> None:
    params = copy_params(bandwidth=5, buf_size=7)
    assert params == [
        TypedParameter("bandwidth", ParamType.ULLONG, 5),
        TypedParameter("buf-size", ParamType.ULLONG, 7),
    ]
    check_copy_params(params)
    with pytest.raises(virt.VirtError, match="parameter 'speed' not supported") as caught:
        check_copy_params([TypedParameter("speed", ParamType.ULLONG, 1)])
    assert caught.value.code == ErrorNumber.ARGUMENT_UNSUPPORTED
    with pytest.raises(virt.VirtError, match="invalid type for parameter 'granularity' - expected uint"):
        check_copy_params([TypedParameter("granularity", ParamType.ULLONG, 512)])
    with pytest.raises(virt.VirtError, match="parameter 'bandwidth' occurs multiple times"):
        check_copy_params(copy_params(bandwidth=1) * 2)
    with pytest.raises(virt.VirtError, match="granularity must not be negative"):
        copy_params(granularity=-1)


def test_progress_as_virsh_draws_it() -> None:
    assert progress_text("Block Copy", 58, 100) == "\rBlock Copy: [ 42 %]"
    assert progress_text("Block Copy", 0, 100) == "\rBlock Copy: [100 %]"
    # never 100 while something remains, however little
    assert progress_text("Block commit", 1, 10**12) == "\rBlock commit: [ 99 %]"
    assert BlockJobInfo(2, 0, 25, 100).percent == 25.0
    assert BlockJobInfo(2, 0, 0, 0).percent == 100.0
