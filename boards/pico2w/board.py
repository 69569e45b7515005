# Raspberry Pi Pico 2 W with a MAX30003 on SPI0 and a BMA400 accelerometer on I2C0: the
# second board that keeps the board layer honest (another port, another accelerometer).
#
# Known shortcoming: the stock rp2 firmware gives the whole flash after the program to
# the filesystem, so the log takes a region from a build whose filesystem is made
# smaller, through rp2.Flash(start=..., len=...). LOG_START and LOG_BYTES below assume
# such a build and are not yet verified on hardware; a board that has not been
# rebuilt fails log_device() with a message saying so.

import rp2
from machine import ADC, I2C, SPI, Pin

from firmware.drivers.bma400 import BMA400
from firmware.drivers.bus import I2CDevice
from firmware.drivers.max30003 import MAX30003
from boards.pico2w.power import POWER
from firmware.hardware import HardwareBoard, battery_from_adc

PORT = "rp2"
NAME = "pico2w"

LOG_START = 2 * 1024 * 1024
LOG_BYTES = 1024 * 1024

_PIN_SCK = 18
_PIN_MOSI = 19
_PIN_MISO = 16
_PIN_ECG_CS = 17
_PIN_ECG_INT = 20
_PIN_SDA = 4
_PIN_SCL = 5
_PIN_ACC_INT = 21
_PIN_VSYS = 29     # VSYS / 3 on ADC3
_BMA400_ADDRESS = 0x14   # SDO tied low


class Board(HardwareBoard):
    NAME = NAME
    POWER = POWER

    def __init__(self):
        super().__init__()
        self.spi = SPI(0, baudrate=4000000, polarity=0, phase=0, sck=Pin(_PIN_SCK),
                       mosi=Pin(_PIN_MOSI), miso=Pin(_PIN_MISO))
        self.i2c = I2C(0, scl=Pin(_PIN_SCL), sda=Pin(_PIN_SDA), freq=400000)
        self.ecg_cs = Pin(_PIN_ECG_CS, Pin.OUT, value=1)
        self.ecg_int = Pin(_PIN_ECG_INT, Pin.IN, Pin.PULL_UP)
        self.acc_int = Pin(_PIN_ACC_INT, Pin.IN)
        self.led = Pin("LED", Pin.OUT)
        self.adc = ADC(Pin(_PIN_VSYS))
        self.attach_interrupts(self.ecg_int, self.acc_int)

    def ecg(self):
        return MAX30003(self.spi, self.ecg_cs)

    def accelerometer(self):
        return BMA400(I2CDevice(self.i2c, _BMA400_ADDRESS))

    def log_device(self):
        try:
            return rp2.Flash(start=LOG_START, len=LOG_BYTES)
        except (TypeError, ValueError) as exc:
            raise OSError("this rp2 firmware has no free flash region for the log (%s): "
                          "build it with a smaller filesystem" % exc)

    def battery(self):
        return battery_from_adc(self.adc, 3, 3300, 4200)


def make_board():
    return Board()
