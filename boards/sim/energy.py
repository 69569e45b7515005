# Energy estimate from the firmware's own duty cycle: how long it ran, how often it woke,
# how many flash programs and erases it issued and how long the radio was on, times a
# board's power figures (boards/<name>/power.py). It is an estimate: the figures are
# datasheet and application-note values, and the time awake per wake is an assumption
# each board states, until a real board is measured.


def estimate(power, seconds, wakes, program_ops, erase_ops, radio_s=0):
    # Average current in mA and the charge a 14-night study of 10-hour nights needs.
    if seconds <= 0:
        return None
    awake_s = wakes * power["wake_ms"] / 1000
    flash_s = (program_ops * power["flash_program_ms"] + erase_ops * power["flash_erase_ms"])
    flash_s /= 1000
    charge_mas = (
        power["sleep_ma"] * seconds
        + (power["awake_ma"] - power["sleep_ma"]) * awake_s
        + power["flash_busy_ma"] * flash_s
        + (power["radio_ma"] - power["sleep_ma"]) * radio_s
        + (power["ecg_ma"] + power["acc_ma"]) * seconds
    )
    average_ma = charge_mas / seconds
    study_mah = average_ma * 14 * 10
    return {
        "average_ma": round(average_ma, 3),
        "awake_fraction": round(awake_s / seconds, 5),
        "wakes_per_s": round(wakes / seconds, 3),
        "wake_ms_assumed": power["wake_ms"],
        "flash_busy_s": round(flash_s, 2),
        "study_mah_14x10h": round(study_mah, 1),
        "battery_mah": power["battery_mah"],
        "figures_unverified": bool(power.get("unverified", False)),
    }
