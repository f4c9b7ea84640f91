"""One way of writing dates and times on staff pages (issue 17 §4): ISO 8601 days and a
24-hour clock, in the clinic's time zone (``accounts.middleware.ClinicTimeZoneMiddleware``).

Django reads these for English whenever a template shows a date without a format (``{{ day }}``,
``{{ day|date }}``) and for the value a date input carries. Date inputs are HTML date inputs
(``type="date"``): the browser shows its own calendar in the user's locale and sends
``YYYY-MM-DD``. Messages to clients spell the day out in words (``messaging/*.txt``).
docs/architecture.md, "Dates and times", says the same.
"""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "F j"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1  # Monday, as ISO 8601
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S"]
