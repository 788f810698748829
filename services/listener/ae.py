"""The Application Entity: what it accepts, from whom, and how it listens."""

from __future__ import annotations

import socket
import ssl
import tempfile
import threading

from pydicom import config as pydicom_config
from pydicom.uid import (
    JPEG2000,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)
from pynetdicom import AE, AllStoragePresentationContexts, _config
from pynetdicom.association import Association
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]
from pynetdicom.transport import AssociationSocket, RequestHandler, ThreadedAssociationServer

from services.listener.handlers import ListenerHandlers
from services.listener.spool import Spool
from services.listener.store_response import ListenerDIMSE
from spinetriage.config import Settings

# Stored exactly as received: the first of the requestor's proposals found here is accepted.
TRANSFER_SYNTAXES = [
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    JPEG2000Lossless,
    JPEG2000,
    RLELossless,
]


# How long an association's network loop sleeps when it found nothing to do; pynetdicom's 1 ms
# default delays every request that arrives while it sleeps.
DUL_IDLE_SLEEP_S = 0.0001
# A peer may announce any PDU length; beyond this, read it piecewise as pynetdicom does rather
# than allocating the announced size up front.
MAX_PREALLOCATED_PDU_BYTES = 16 * 2**20


class ListenerSocket(AssociationSocket):
    """Reads a PDU straight into one buffer, instead of pynetdicom's 4 KiB pieces joined up."""

    def recv(self, nr_bytes: int) -> bytearray:
        if nr_bytes > MAX_PREALLOCATED_PDU_BYTES:
            return super().recv(nr_bytes)
        assert self.socket is not None
        buffer = bytearray(nr_bytes)
        view = memoryview(buffer)
        received = 0
        while received < nr_bytes:
            count = self.socket.recv_into(view[received:])
            if count == 0:  # connection closed: return what arrived, as pynetdicom does
                del view
                return buffer[:received]
            received += count
        return buffer


class ListenerRequestHandler(RequestHandler):
    """pynetdicom builds each association's socket and DIMSE provider itself, with no factory to
    pass; this swaps in the listener's subclasses right after, before any PDU is read."""

    def _create_association(self) -> Association:
        assoc = super()._create_association()
        # Same objects and state, with the faster receive and response paths.
        assoc.dul.socket.__class__ = ListenerSocket
        assoc.dimse.__class__ = ListenerDIMSE
        assoc.dul._run_loop_delay = DUL_IDLE_SLEEP_S
        return assoc


class SharedPortServer(ThreadedAssociationServer):
    """An association server whose port other listener processes may bind too; the kernel
    spreads new connections across them."""

    def server_bind(self) -> None:
        assert self.socket is not None
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


def configure_pynetdicom(spool: Spool) -> None:
    """Process-wide pynetdicom switches; the listener process sets them once at start."""
    # Stream each received dataset to a file in the spool's incoming directory instead of
    # memory, so a commit is a rename on the same file system.
    _config.STORE_RECV_CHUNKED_DATASET = True
    tempfile.tempdir = str(spool.incoming)
    # Values are stored as sent, not validated here; validation warnings would quote values,
    # patient names and birth dates among them, into the logs.
    pydicom_config.settings.reading_validation_mode = pydicom_config.IGNORE
    # Identifiers and whole datasets never reach the logs.
    _config.LOG_REQUEST_IDENTIFIERS = False
    _config.LOG_HANDLER_LEVEL = "none"


def build_ae(settings: Settings) -> AE:
    ae = AE(ae_title=settings.dicom_ae_title)
    ae.maximum_pdu_size = settings.dicom_max_pdu_bytes
    ae.network_timeout = settings.dicom_network_timeout_s
    ae.acse_timeout = settings.dicom_network_timeout_s
    ae.dimse_timeout = settings.dicom_network_timeout_s
    ae.maximum_associations = 64
    if settings.dicom_allowed_calling_aes:
        ae.require_calling_aet = settings.dicom_allowed_calling_aes
    ae.add_supported_context(Verification, TRANSFER_SYNTAXES[:3])
    for context in AllStoragePresentationContexts:
        assert context.abstract_syntax is not None
        ae.add_supported_context(context.abstract_syntax, TRANSFER_SYNTAXES)
    return ae


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """Server-side DICOM TLS; with a CA configured, peers must present a certificate it signed."""
    if settings.dicom_tls_cert is None or settings.dicom_tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.dicom_tls_cert, settings.dicom_tls_key)
    if settings.dicom_tls_ca is not None:
        context.load_verify_locations(settings.dicom_tls_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def start_server(
    settings: Settings, handlers: ListenerHandlers
) -> tuple[ThreadedAssociationServer, threading.Thread]:
    """Start listening in a background thread; returns the pynetdicom server and the thread
    that serves it (alive while the server runs)."""
    ae = build_ae(settings)
    server_class = (
        SharedPortServer if settings.listener_processes > 1 else ThreadedAssociationServer
    )
    server = ae.make_server(
        (settings.dicom_bind, settings.dicom_port),
        evt_handlers=handlers.bindings(),
        ssl_context=tls_context(settings),
        server_class=server_class,
        request_handler=ListenerRequestHandler,
    )
    # Registered as start_server(block=False) would, so server.shutdown() also releases it.
    ae._servers.append(server)
    thread = threading.Thread(target=server.serve_forever, name="dicom-server", daemon=True)
    thread.start()
    return server, thread
