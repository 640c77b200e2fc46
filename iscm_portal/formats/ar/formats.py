# Django's Arabic locale has a date format but no date-and-time format; this one
# follows it (17 فبراير، 2027، 14:05).
DATE_FORMAT = "j F، Y"
DATETIME_FORMAT = "j F، Y، H:i"
