"""Widgets of the dashboard's main screen."""
