"""C-STORE responses packed directly are the bytes pynetdicom itself would send."""

from __future__ import annotations

import pytest
from pynetdicom.dimse_messages import C_STORE_RSP
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.dsutils import encode

from services.listener.store_response import encode_c_store_rsp

MR_STORAGE = "1.2.840.10008.5.1.4.1.1.4"


@pytest.mark.parametrize(
    ("status", "comment", "sop_uid"),
    [
        (0x0000, None, "1.2.3.45"),
        (0xA700, "spool disk below its free-space watermark", "1.2.3.4"),
        (0xC212, "odd", "1.2.826.0.1.3680043.10.1437.11178095216561574502613973025156761"),
    ],
)
def test_matches_pynetdicom_encoding(status: int, comment: str | None, sop_uid: str) -> None:
    """For odd and even UID and comment lengths, with and without an Error Comment, the packed
    command set equals pynetdicom's own encoding of the same response."""
    rsp = C_STORE()
    rsp.MessageIDBeingRespondedTo = 7
    rsp.AffectedSOPClassUID = MR_STORAGE
    rsp.AffectedSOPInstanceUID = sop_uid
    rsp.Status = status
    if comment:
        rsp.ErrorComment = comment
    message = C_STORE_RSP()
    message.primitive_to_message(rsp)
    assert encode_c_store_rsp(7, MR_STORAGE, sop_uid, status, comment) == encode(
        message.command_set, True, True
    )
