"""Expected calibration error as a govern `custom` check (see check.py)."""
