# The board's power figures, apart from board.py so that the simulator, which cannot
# import the esp32 module, can use them for its energy estimate.

# Power figures the energy estimate uses (mA, ms), from ../shared/HARDWARE.md: ESP32-S3
# light sleep with the 32 kHz crystal (Espressif's power-save example), awake without
# radio, BLE on; MAX30003 and LIS2DH12 supply currents; W25Q-class NOR busy current and
# timings (program current and time unverified). wake_ms is an assumption: the lower end
# of the 5 to 20 ms per wake HARDWARE.md estimates, to be replaced by a measurement on
# the board.
POWER = {
    "sleep_ma": 0.23,
    "awake_ma": 32.0,
    "radio_ma": 30.0,
    "ecg_ma": 0.077,
    "acc_ma": 0.006,
    "flash_busy_ma": 22.0,
    "flash_erase_ms": 45.0,
    "flash_program_ms": 0.4,
    "wake_ms": 5.0,
    "battery_mah": 300.0,
}
