from django import template

from tenants import allowlist

register = template.Library()


@register.filter
def ip_allowlist(value) -> str:
    """``203.0.113.0/24, 198.51.100.7``, or ``any address`` when empty."""
    return allowlist.describe(value)


@register.simple_tag
def ip_allowlist_warning(partner) -> str:
    return allowlist.warning(getattr(partner, "ip_allowlist", None))
