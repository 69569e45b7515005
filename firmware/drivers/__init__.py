# Sensor drivers. Each takes its bus from the board and never builds one (bus.py).
