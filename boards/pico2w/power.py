# The board's power figures, apart from board.py so that the simulator can use them.

# Power figures (mA, ms). Sleep and awake currents of the RP2350 under MicroPython are
# not in ../shared/HARDWARE.md; these are placeholders marked as such until measured,
# and the energy estimate labels this board's figure accordingly.
POWER = {
    "sleep_ma": 1.5,
    "awake_ma": 25.0,
    "radio_ma": 45.0,
    "ecg_ma": 0.077,
    "acc_ma": 0.00085,
    "flash_busy_ma": 22.0,
    "flash_erase_ms": 45.0,
    "flash_program_ms": 0.4,
    "wake_ms": 5.0,
    "battery_mah": 300.0,
    "unverified": True,
}
