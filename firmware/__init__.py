# The wearable application (MicroPython): drivers, sampling, log, BLE services.
