# One image for the web and worker processes.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY workers ./workers
COPY menus ./menus
COPY migrations ./migrations
COPY config ./config
RUN pip install --no-cache-dir -e . && useradd --system --home /app gateway && mkdir -p /app/instance \
    && chown gateway /app/instance
USER gateway
EXPOSE 8000
CMD ["gunicorn", "-c", "python:gateway.gunicorn_conf", "gateway.wsgi:app", "--bind", "0.0.0.0:8000"]
