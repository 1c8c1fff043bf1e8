"""The app's widgets: the virtual table, its columns, and the one-line bars."""
