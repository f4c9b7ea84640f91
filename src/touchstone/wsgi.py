import os
import threading

from django.core.wsgi import get_wsgi_application

from touchstone.lib.threads import limit_blas_threads

limit_blas_threads()  # one BLAS thread per worker process (lib/threads.py)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "touchstone.settings")
application = get_wsgi_application()


def _warm_up_pdf_engine() -> None:
    from touchstone.reports.pdf import warm_up

    warm_up()


# In the web server only: load the PDF engine in the background at start, so the first
# report request does not pay WeasyPrint's one-time start-up.
threading.Thread(target=_warm_up_pdf_engine, name="pdf-warm-up", daemon=True).start()
