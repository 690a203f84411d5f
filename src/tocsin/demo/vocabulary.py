"""What demo incidents are about: titles, descriptions, categories and fixes per service."""

from __future__ import annotations

from tocsin.demo.customer_vocabulary import CUSTOMER_TEMPLATES
from tocsin.demo.provider_vocabulary import PROVIDER_TEMPLATES
from tocsin.demo.templates import Source, Template

# service slug (or "" for no service) -> what goes wrong there
TEMPLATES: dict[str, tuple[Template, ...]] = {**PROVIDER_TEMPLATES, **CUSTOMER_TEMPLATES}

__all__ = ["TEMPLATES", "Source", "Template"]
