"""Malay times on a 24-hour clock: Django's Malay catalogue writes every afternoon time with "malam" (night)."""

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
