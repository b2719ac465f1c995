"""Pages people use in a browser: the hosted booking page and the snippet that embeds it.

The pages are built on the public API alone: they call it from the patient's browser with
a publishable key, exactly as a partner's own page would.
"""


def init_app(app):
    from inquick.pages import booking

    app.register_blueprint(booking.blueprint)
