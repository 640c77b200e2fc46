# English dates as the UN writes them (17 February 2027), one style on every page, form,
# e-mail and PDF; Django's other locales already write theirs in full
# (17 février 2027, 17 de febrero de 2027, 17 февраля 2027 г., 17 فبراير، 2027, 2027年2月17日).
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
