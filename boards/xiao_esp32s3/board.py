# Seeed XIAO ESP32S3 with a MAX30003 ECG front end on SPI and a LIS2DH12 accelerometer on
# I2C, a LiPo through a 1:2 divider on D0, and the log in its own raw flash partition.
#
# Pin numbers follow Seeed's XIAO ESP32S3 pinout (D0 = GPIO1 ... D10 = GPIO9, user LED
# GPIO21); check them against the board you wire before flashing. The partition table
# that gives the log its partition is partitions.csv beside this file (see README.md
# here).

import esp32
from machine import ADC, I2C, SPI, Pin

from firmware.drivers.bus import I2CDevice
from firmware.drivers.lis2dh12 import LIS2DH12
from firmware.drivers.max30003 import MAX30003
from boards.xiao_esp32s3.power import POWER
from firmware.hardware import HardwareBoard, battery_from_adc

PORT = "esp32"
NAME = "xiao_esp32s3"
LOG_PARTITION = "ictalog"

_PIN_SCK = 7       # D8
_PIN_MISO = 8      # D9
_PIN_MOSI = 9      # D10
_PIN_ECG_CS = 2    # D1
_PIN_ECG_INT = 3   # D2, MAX30003 INTB
_PIN_SDA = 5       # D4
_PIN_SCL = 6       # D5
_PIN_ACC_INT = 4   # D3, LIS2DH12 INT1
_PIN_BATTERY = 1   # D0, LiPo through a 1:2 divider
_PIN_LED = 21
_LIS2DH12_ADDRESS = 0x18   # SA0 tied low


class Board(HardwareBoard):
    NAME = NAME
    POWER = POWER

    def __init__(self):
        super().__init__()
        # The MAX30003 reads in SPI mode 0; 4 MHz is well inside its limit.
        self.spi = SPI(2, baudrate=4000000, polarity=0, phase=0, sck=Pin(_PIN_SCK),
                       mosi=Pin(_PIN_MOSI), miso=Pin(_PIN_MISO))
        self.i2c = I2C(0, scl=Pin(_PIN_SCL), sda=Pin(_PIN_SDA), freq=400000)
        self.ecg_cs = Pin(_PIN_ECG_CS, Pin.OUT, value=1)
        self.ecg_int = Pin(_PIN_ECG_INT, Pin.IN, Pin.PULL_UP)
        self.acc_int = Pin(_PIN_ACC_INT, Pin.IN)
        self.led = Pin(_PIN_LED, Pin.OUT, value=1)
        self.adc = ADC(Pin(_PIN_BATTERY), atten=ADC.ATTN_11DB)
        self.attach_interrupts(self.ecg_int, self.acc_int)

    def ecg(self):
        return MAX30003(self.spi, self.ecg_cs)

    def accelerometer(self):
        return LIS2DH12(I2CDevice(self.i2c, _LIS2DH12_ADDRESS))

    def log_device(self):
        found = esp32.Partition.find(esp32.Partition.TYPE_DATA, label=LOG_PARTITION)
        if not found:
            raise OSError("no '%s' data partition: flash boards/xiao_esp32s3/"
                          "partitions.csv first" % LOG_PARTITION)
        return found[0]

    def battery(self):
        return battery_from_adc(self.adc, 2, 3300, 4200)

    def temperature_cdeg(self):
        # esp32.mcu_temperature() exists on the S2, S3 and C3 builds only (the generic
        # esp32 stubs do not list it), in degrees Celsius.
        read = getattr(esp32, "mcu_temperature", None)
        return int(read() * 100) if read else 0


def make_board():
    return Board()
