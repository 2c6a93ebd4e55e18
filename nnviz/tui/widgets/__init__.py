"""The explorer's widgets: text panels and line-API pictures."""
