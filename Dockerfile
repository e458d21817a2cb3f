# One image for all four services; the command picks the service (`styr-goals serve`, ...).
# The browser assets (/docs, /redoc, GraphiQL) come pinned from assets/package-lock.json.
FROM node:20-slim AS assets
WORKDIR /app/assets
COPY assets/package.json assets/package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim AS build
ENV UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir "uv==0.13.8"
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY shared shared
COPY services services
COPY scripts/vendor_assets.py scripts/
COPY --from=assets /app/assets/node_modules assets/node_modules
RUN python scripts/vendor_assets.py && rm -rf assets
RUN uv sync --all-packages --frozen --no-dev

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /app styr
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1
WORKDIR /app
USER 10001
EXPOSE 8000 8001 8002 8003
CMD ["styr-gateway", "serve"]
