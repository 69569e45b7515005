# Raspberry Pi Pico 2 W board.
