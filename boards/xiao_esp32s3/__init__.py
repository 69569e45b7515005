# Seeed XIAO ESP32S3 board.
