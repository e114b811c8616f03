"""The provisioning engine: policy, plan, apply, reconcile, audit and export."""

from __future__ import annotations

__version__ = "0.1.0"
