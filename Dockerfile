FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    CHFW_HOST=0.0.0.0 CHFW_PORT=8000 CHFW_DATABASE_URL=sqlite:////data/chfw.db \
    CHFW_GATEWAY_ROOT=/data/gateway
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY schemas ./schemas
COPY migrations ./migrations
RUN pip install --no-cache-dir -e . \
 && useradd --system --uid 10001 --home /data chfw \
 && mkdir -p /data && chown chfw /data
USER chfw
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request;urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["chfw", "serve"]
