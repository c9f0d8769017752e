"""Health check for load balancers and monitoring."""

import logging

from quart import Blueprint, jsonify
from tortoise import connections

blueprint = Blueprint("health", __name__)
logger = logging.getLogger(__name__)


@blueprint.get("/healthz")
async def healthz():
    """Report whether the database answers; 503 when it does not."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as error:  # Any failure to reach the database means unhealthy.
        logger.warning("health check failed", extra={"error": type(error).__name__})
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})
