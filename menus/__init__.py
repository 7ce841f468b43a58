"""The official account's custom menu: keys (keys.py) and the menu as data (main.py)."""
