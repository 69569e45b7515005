# The desktop board: the firmware runs under the MicroPython unix port with emulated
# chips and an emulated NOR flash.
