"""The bundled sample GHL event stream and the demo run of the pipeline."""
