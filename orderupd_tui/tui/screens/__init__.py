"""The app's screens: the panes, an order's detail, the confirmation and help."""
