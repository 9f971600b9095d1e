"""JSON Schema export of every event contract (`leadmem schemas export DIR`)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from schemas import ghl
from schemas.events import TOPIC_OF


def all_models() -> dict[str, type[BaseModel]]:
    """Every event model by a stable file name."""
    models: dict[str, type[BaseModel]] = {}
    for ghl_type, model in ghl.WEBHOOK_MODELS.items():
        models[f"ghl.{ghl_type}"] = model
    models["ghl.Unknown"] = ghl.UnknownWebhook
    for ghl_type, app_model in ghl.APP_WEBHOOK_MODELS.items():
        models[f"ghl.{ghl_type}"] = app_model
    for internal in TOPIC_OF:
        models[f"internal.{internal.__name__}"] = internal
    return models


def export_json_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in sorted(all_models().items()):
        path = directory / f"{name}.schema.json"
        schema = model.model_json_schema(by_alias=True)
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written
