"""Signals the clients app sends to apps above it in the layer map (docs/architecture.md),
which it may not import: they connect receivers in their ``AppConfig.ready()``."""

from __future__ import annotations

from django.dispatch import Signal

#: Sent inside ``do_archive_client``'s transaction with ``actor`` and ``client``: whatever
#: still grants access to the client from outside (the portal's private links) ends here, so a
#: later restore does not bring it back.
client_archived = Signal()
