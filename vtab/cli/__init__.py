"""The vtab command: query, shell, snapshot, emulator and demo."""
