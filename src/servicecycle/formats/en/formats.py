"""Dates and times in English as staff across countries read them without doubt: the day before the month, the
month in letters, a 24-hour clock ("6 Dec 2026, 14:50"; Django's default is "12/06/2026 2:50 p.m.", which reads as
June in most of the world). Input formats stay Django's."""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
