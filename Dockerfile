# briefbot: the Discord bot in a slim, non-root container. The database lives on the /data volume.
#   docker build -t briefbot .
#   docker run --rm -e DISCORD_TOKEN=... -v briefbot-data:/data --read-only --tmpfs /tmp briefbot
#   docker compose up -d --build   (compose.yaml: PostgreSQL and two bot processes, shards split)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --system --create-home --uid 10001 --home-dir /home/briefbot briefbot \
    && mkdir -p /data && chown briefbot:briefbot /data

COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . && python -c "import bot.cli"
COPY data/letters ./data/letters

ENV BRIEFBOT_DB=/data/briefbot.sqlite3 \
    BRIEFBOT_LETTERS_DIR=/app/data/letters
VOLUME ["/data"]
USER briefbot

HEALTHCHECK --interval=60s --timeout=20s --start-period=60s --retries=3 \
    CMD ["briefbot", "check", "--quiet"]
ENTRYPOINT ["briefbot"]
CMD ["run"]
