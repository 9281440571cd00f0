"""Modal screens: pickers, forms, confirmations, the conflict choice, help."""
