"""C-STORE responses encoded directly.

A C-STORE-RSP command set is seven small elements in implicit VR little endian. pynetdicom
builds each one through a pydicom Dataset, encodes it twice to measure its group length, and
fragments it; a profile of the listener put that at about a third of its CPU per stored instance.
Here it is packed with ``struct``; any response carrying more than Status and Error Comment goes
through pynetdicom unchanged."""

from __future__ import annotations

import queue
import struct
from typing import Any

from pynetdicom.dimse import DIMSEServiceProvider
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.pdu_primitives import P_DATA

C_STORE_RSP = 0x8001
NO_DATA_SET = 0x0101
# Message control header: command information, last fragment (PS3.8 E.2).
LAST_COMMAND_FRAGMENT = b"\x03"
# Longest wait for a request before the association's loop checks for release and abort.
_REACTOR_WAIT_S = 0.01


def _element(tag_element: int, value: bytes) -> bytes:
    return struct.pack("<HHI", 0x0000, tag_element, len(value)) + value


def _ui(uid: str) -> bytes:
    raw = uid.encode("ascii")
    return raw + b"\0" if len(raw) % 2 else raw


def _lo(text: str) -> bytes:
    raw = text.encode("ascii", "replace")
    return raw + b" " if len(raw) % 2 else raw


def encode_c_store_rsp(
    message_id: int, sop_class_uid: str, sop_instance_uid: str, status: int, comment: str | None
) -> bytes:
    """The command set of a C-STORE-RSP, group length first, elements in tag order."""
    body = b"".join(
        [
            _element(0x0002, _ui(sop_class_uid)),
            _element(0x0100, struct.pack("<H", C_STORE_RSP)),
            _element(0x0120, struct.pack("<H", message_id)),
            _element(0x0800, struct.pack("<H", NO_DATA_SET)),
            _element(0x0900, struct.pack("<H", status)),
            _element(0x0902, _lo(comment)) if comment else b"",
            _element(0x1000, _ui(sop_instance_uid)),
        ]
    )
    return _element(0x0000, struct.pack("<I", len(body))) + body


class ListenerDIMSE(DIMSEServiceProvider):
    """pynetdicom's DIMSE provider with C-STORE responses packed directly, and decoded requests
    handed to the association as soon as they are complete."""

    def get_msg(self, block: bool = False) -> Any:
        """The acceptor's loop asks without blocking and sleeps a millisecond between asks;
        waiting briefly here instead takes each request the moment it is decoded."""
        if block:
            return super().get_msg(block=True)
        try:
            return self.msg_queue.get(timeout=_REACTOR_WAIT_S)
        except queue.Empty:
            return None, None

    def send_msg(self, primitive: object, context_id: int) -> None:
        if not _is_plain_store_response(primitive):
            super().send_msg(primitive, context_id)  # type: ignore[arg-type]
            return
        assert isinstance(primitive, C_STORE)
        command = encode_c_store_rsp(
            int(primitive.MessageIDBeingRespondedTo),  # type: ignore[arg-type]
            str(primitive.AffectedSOPClassUID),
            str(primitive.AffectedSOPInstanceUID),
            int(primitive.Status),  # type: ignore[arg-type]
            primitive.ErrorComment,
        )
        pdata = P_DATA()
        pdata.presentation_data_value_list.append((context_id, LAST_COMMAND_FRAGMENT + command))
        self.dul.send_pdu(pdata)


def _is_plain_store_response(primitive: object) -> bool:
    return (
        isinstance(primitive, C_STORE)
        and primitive.MessageIDBeingRespondedTo is not None
        and primitive.Status is not None
        and primitive.AffectedSOPClassUID is not None
        and primitive.AffectedSOPInstanceUID is not None
        and getattr(primitive, "OffendingElement", None) is None
    )
