"""The app, plus one bare WSGI answer, for the load benchmark's baseline.

``/__bare__`` is answered before Django sees the request, by the same
gunicorn workers in the same run: the ceiling for any page of ours.
"""

from commerce_portal.wsgi import application as django_application


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/__bare__":
        body = b"ok"
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    return django_application(environ, start_response)
