"""Russian dates without the trailing "г.": Django's "7 декабря 2026 г." ends every sentence that closes on a date
with a double full stop ("закрывается 20 декабря 2026 г.."), and reads fine without it."""

DATE_FORMAT = "j E Y"
DATETIME_FORMAT = "j E Y, G:i"
