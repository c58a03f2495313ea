"""Prometheus metrics: HTTP requests (by route template) and GraphQL operations (by name) with their latency, the
process and the platform."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response

REGISTRY = CollectorRegistry(auto_describe=True)
# process_* (CPU seconds, resident memory, open files, start time) and python_info (version, implementation).
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
HTTP_REQUESTS = Counter("ecoinspect_http_requests_total", "HTTP requests by route template",
                        ["method", "route", "status"], registry=REGISTRY)
HTTP_LATENCY = Histogram("ecoinspect_http_request_seconds", "HTTP request latency", ["route"],
                         registry=REGISTRY)
GRAPHQL_REQUESTS = Counter("ecoinspect_graphql_operations_total", "GraphQL operations by name and outcome",
                           ["operation", "outcome"], registry=REGISTRY)
GRAPHQL_LATENCY = Histogram("ecoinspect_graphql_operation_seconds", "GraphQL execution latency by operation",
                            ["operation"], registry=REGISTRY)


async def metrics(_request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
