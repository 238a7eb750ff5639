"""Entry point: ``python run.py`` (the embedded default), ``flask --app run ...`` and ``gunicorn run:app``."""
from app import create_app
import workers

app = create_app()
workers.init_app(app)

if __name__ == "__main__":
    from app.embedded import serve

    serve(app)
