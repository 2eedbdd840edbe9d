"""Facts about an incoming Teams activity that more than one part of the bot needs."""

from __future__ import annotations

from botbuilder.schema import Activity


def tenant_of(activity: Activity) -> str | None:
    """The tenant id; Teams puts it in channelData (the SDK drops conversation.tenantId)."""
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant") if isinstance(channel_data, dict) else None
    if isinstance(tenant, dict) and isinstance(tenant.get("id"), str) and tenant["id"]:
        return str(tenant["id"]).lower()
    conversation_tenant = activity.conversation.tenant_id if activity.conversation else None
    return conversation_tenant.lower() if conversation_tenant else None
