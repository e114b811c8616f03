"""A stateful simulator of the parts of the Zoom API that zoom_client uses."""

from __future__ import annotations
