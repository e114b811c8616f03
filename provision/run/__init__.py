"""What talks to Zoom: observe (sync), apply and its executors, reconcile, Zoom access."""
