from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from products import markdown as markdown_module

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Render Markdown safely: raw HTML escaped, unsafe links and images dropped."""
    return markdown_module.render(text)
